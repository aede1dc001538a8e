/**
 * Saved dashboards: the grids of charts users make in the UI, kept in the metadata store's database
 * (embedded SQLite or PostgreSQL) beside the runs. A dashboard is named (letters, digits, `.`, `_`,
 * `-`) and holds a title and its charts (`DashboardChart`, as a pipeline declares them); saving a
 * name again replaces it. The pipelines' declared dashboards are not stored: they come from the code.
 *
 * Errors: DASHBOARD_INVALID for a name or chart that does not fit (naming what and where),
 * DASHBOARD_NOT_FOUND, METADATA_UNAVAILABLE and METADATA_CLOSED as for the rest of the store.
 */
import { z } from 'zod';
import { TributaryError } from '../errors.ts';
import type { DashboardChart } from '../runtime/pipeline.ts';

export interface DashboardInput {
  name: string;
  title: string;
  charts: DashboardChart[];
}

export interface SavedDashboard extends DashboardInput {
  updated: Date;
}

export interface DashboardStore {
  list(): Promise<SavedDashboard[]>;
  get(name: string): Promise<SavedDashboard | undefined>;
  /** Insert or replace; returns what was stored. */
  save(dashboard: DashboardInput, at?: Date): Promise<SavedDashboard>;
  /** Whether there was one to remove. */
  remove(name: string): Promise<boolean>;
  close(): Promise<void>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const chart = z.strictObject({
  title: z.string().min(1).max(200),
  sql: z.string().min(1).max(20_000),
  kind: z.enum(['bar', 'line', 'area', 'pie', 'scatter', 'table', 'number']),
  x: z.string().min(1).optional(),
  y: z.string().min(1).optional(),
});
const input = z.strictObject({ name: z.string().regex(NAME, 'expected letters, digits, ".", "_" or "-" (at most 100)'), title: z.string().min(1).max(200), charts: z.array(chart).max(50) });

export function checkDashboard(value: unknown): DashboardInput {
  const parsed = input.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(dashboard)'}: ${i.message}`).join('; ');
  throw new TributaryError('DASHBOARD_INVALID', `dashboard: ${problems}`);
}

export interface StoredDashboard {
  name: string;
  title: string;
  charts: string;
  updated_ms: number | string | bigint;
}

export function toSavedDashboard(row: StoredDashboard): SavedDashboard {
  return { name: row.name, title: row.title, charts: JSON.parse(row.charts) as DashboardChart[], updated: new Date(Number(row.updated_ms)) };
}
