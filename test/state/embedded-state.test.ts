import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openEmbeddedStateStore } from '../../src/state/embedded/embedded-state.ts';
import type { StateStore } from '../../src/state/state.ts';
import { tempDir } from '../support/cli.ts';
import { rejection } from '../support/errors.ts';
import { describeStateContract } from './state-contract.ts';

describeStateContract('embedded', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-state-'));
  return {
    open: () => openEmbeddedStateStore({ file: path.join(dir, 'state.sqlite') }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

/** Opens a store on `file` that is closed when the test ends. */
async function openClosedAfter(file: string): Promise<StateStore> {
  const store = await openEmbeddedStateStore({ file });
  onTestFinished(() => store.close());
  return store;
}

/** Works on the file directly, as another program would; the store must be closed meanwhile. */
function withRawDatabase(file: string, work: (db: DatabaseSync) => void): void {
  const db = new DatabaseSync(file);
  try {
    work(db);
  } finally {
    db.close();
  }
}

describe('the embedded state store', () => {
  it('should refuse a second open of the same file in this process, also through another path', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'nested', 'state.sqlite');
    const store = await openEmbeddedStateStore({ file });
    const error = await rejection(openEmbeddedStateStore({ file }), 'STATE_UNAVAILABLE');
    expect(error.message).toContain('already open in this process');
    expect(error.retryable).toBe(false);
    await symlink(path.join(dir, 'nested'), path.join(dir, 'link'));
    await rejection(openEmbeddedStateStore({ file: path.join(dir, 'link', '.', 'state.sqlite') }), 'STATE_UNAVAILABLE');
    await store.close();
    // Once closed, the file can be opened again.
    const again = await openEmbeddedStateStore({ file });
    await again.close();
  });

  it('should roll back the whole commit when a statement fails halfway through it', async () => {
    const file = path.join(await tempDir(), 'state.sqlite');
    let store = await openEmbeddedStateStore({ file });
    await store.commit('ns', new Map([['keep', Buffer.from('old')], ['gone', Buffer.from('old')]]));
    await store.close();
    // A trigger makes SQLite itself fail on one key; SQLite undoes only that statement, the store
    // must undo the statements before it.
    withRawDatabase(file, (db) => db.exec(`CREATE TRIGGER refuse_boom BEFORE INSERT ON state WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END`));
    store = await openClosedAfter(file);
    const before = await store.entries('ns');
    const changes = new Map<string, Buffer | undefined>([['keep', Buffer.from('new')], ['gone', undefined]]);
    for (let i = 0; i < 100; i++) changes.set(`a${i}`, Buffer.from('new'));
    changes.set('boom', Buffer.from('new'));
    for (let i = 0; i < 100; i++) changes.set(`z${i}`, Buffer.from('new'));
    const error = await rejection(store.commit('ns', changes), 'STATE_UNAVAILABLE');
    expect(error.message).toContain('boom refused');
    expect(error.retryable).toBe(false);
    expect(await store.entries('ns')).toEqual(before);
    // No transaction was left open: the next commit goes through on its own.
    await store.commit('ns', new Map([['after', Buffer.from('ok')]]));
    expect((await store.get('ns', 'after'))?.toString()).toBe('ok');
  });

  it('should keep the file in WAL mode', async () => {
    const file = path.join(await tempDir(), 'state.sqlite');
    const store = await openEmbeddedStateStore({ file });
    await store.commit('ns', new Map([['a', Buffer.from('1')]]));
    await store.close();
    withRawDatabase(file, (db) => expect(db.prepare('PRAGMA journal_mode').get()?.journal_mode).toBe('wal'));
  });

  it('should refuse a file written by a newer schema version', async () => {
    const file = path.join(await tempDir(), 'state.sqlite');
    withRawDatabase(file, (db) => db.exec('PRAGMA user_version = 99'));
    const error = await rejection(openEmbeddedStateStore({ file }), 'STATE_UNAVAILABLE');
    expect(error.message).toMatch(/newer Tributary \(schema 99/);
    expect(error.retryable).toBe(false);
    // The refusal released the file.
    withRawDatabase(file, (db) => db.exec('PRAGMA user_version = 0'));
    await (await openEmbeddedStateStore({ file })).close();
  });

  it('should report a file that is not a database as STATE_UNAVAILABLE', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'state.sqlite');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, 'this is not a database, just text long enough to be read as a header'.repeat(10));
    const error = await rejection(openEmbeddedStateStore({ file }), 'STATE_UNAVAILABLE');
    expect(error.cause).toBeDefined();
    expect(error.retryable).toBe(false);
  });

  it('should give exactly one new per key to processes racing checkAndSet on one file', { timeout: 60_000 }, async () => {
    const file = path.join(await tempDir(), 'state.sqlite');
    // Created up front so the racers do not also race to create the table.
    await (await openEmbeddedStateStore({ file })).close();
    const racer = new URL('./fixtures/fingerprint-racer.ts', import.meta.url).pathname;
    const keys = 200;
    const outputs = await Promise.all(
      Array.from({ length: 4 }, (_, i) => {
        const child = spawn(process.execPath, [racer, file, String(keys), `racer${i}`], { stdio: ['ignore', 'pipe', 'inherit'] });
        onTestFinished(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
        return new Promise<string>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`racer ${i} exited with ${code}`)))));
      }),
    );
    const answers = outputs.map((out) => JSON.parse(out) as string[]);
    for (let key = 0; key < keys; key++) {
      const forKey = answers.map((a) => a[key]);
      expect(forKey.filter((a) => a === 'new'), `key ${key}: ${forKey.join(',')}`).toHaveLength(1);
      expect(forKey.filter((a) => a === 'unchanged')).toHaveLength(3);
    }
  });
});
