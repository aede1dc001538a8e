/** Saved dashboards in the embedded metadata file (node:sqlite): the table `ui_dashboards`. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { TributaryError } from '../../errors.ts';
import { checkDashboard, toSavedDashboard, type DashboardInput, type DashboardStore, type SavedDashboard, type StoredDashboard } from '../dashboard-store.ts';

const SCHEMA = 'CREATE TABLE IF NOT EXISTS ui_dashboards (name TEXT PRIMARY KEY, title TEXT NOT NULL, charts TEXT NOT NULL, updated_ms INTEGER NOT NULL) STRICT';

export async function openEmbeddedDashboardStore(options: { file: string; busyTimeoutMs?: number }): Promise<DashboardStore> {
  const file = path.resolve(options.file);
  let db: DatabaseSync | undefined;
  const call = <T>(operation: string, fn: (d: DatabaseSync) => T): Promise<T> => {
    if (!db) return Promise.reject(new TributaryError('METADATA_CLOSED', `embedded dashboards: ${operation} after close (${file})`));
    try {
      return Promise.resolve(fn(db));
    } catch (error) {
      if (error instanceof TributaryError) return Promise.reject(error);
      return Promise.reject(new TributaryError('METADATA_UNAVAILABLE', `embedded dashboards: ${operation} on ${file} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    }
  };
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const { DatabaseSync } = await import('node:sqlite');
    db = new DatabaseSync(file, { timeout: options.busyTimeoutMs ?? 5000 });
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(SCHEMA);
  } catch (error) {
    db?.close();
    throw new TributaryError('METADATA_UNAVAILABLE', `embedded dashboards: open ${file} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return {
    list: () => call('list', (d) => d.prepare('SELECT * FROM ui_dashboards ORDER BY name').all().map((r) => toSavedDashboard(r as unknown as StoredDashboard))),
    get: (name) =>
      call('get', (d) => {
        const row = d.prepare('SELECT * FROM ui_dashboards WHERE name = ?').get(name);
        return row ? toSavedDashboard(row as unknown as StoredDashboard) : undefined;
      }),
    save: (dashboard: DashboardInput, at = new Date()): Promise<SavedDashboard> =>
      call('save', (d) => {
        const checked = checkDashboard(dashboard);
        d.prepare('INSERT INTO ui_dashboards (name, title, charts, updated_ms) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET title = excluded.title, charts = excluded.charts, updated_ms = excluded.updated_ms').run(
          checked.name,
          checked.title,
          JSON.stringify(checked.charts),
          at.getTime(),
        );
        return { ...checked, updated: new Date(at.getTime()) };
      }),
    remove: (name) => call('remove', (d) => Number(d.prepare('DELETE FROM ui_dashboards WHERE name = ?').run(name).changes) > 0),
    close: () => {
      db?.close();
      db = undefined;
      return Promise.resolve();
    },
  };
}
