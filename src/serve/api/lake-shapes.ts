/** What the Lake page's routes answer (lake-browser.ts reads them, the UI shows them). Types only. */
import type { TableZone } from '../../lake/tables/tables.ts';
import type { SqlCell } from './sql-explorer.ts';

export interface LakeSnapshot {
  id: number;
  time: string;
  message?: string;
  /** DuckLake's change entries, e.g. `inserted_into_table:3`, `created_table:"processed"."pins"`. */
  changes: string[];
}

export interface LakeTableSummary {
  zone: TableZone;
  name: string;
  rows: number;
  files: number;
  bytes: number;
  /** How many snapshots touched the table. */
  snapshots: number;
  lastChanged?: { id: number; time: string };
}

export interface LakeOverview {
  /** The catalog's newest snapshot; absent while no catalog exists yet. */
  current?: number;
  zones: Array<{ zone: TableZone; tables: LakeTableSummary[] }>;
}

export interface LakeFile {
  path: string;
  rows: number;
  bytes: number;
  partition: Record<string, string>;
}

export interface LakeTableDetail {
  zone: TableZone;
  name: string;
  /** The snapshot shown. */
  snapshot: number;
  current: number;
  rows: number;
  columns: Array<{ name: string; type: string }>;
  partitionBy: Array<{ column: string; transform: string }>;
  partitions: Array<{ values: Record<string, string>; files: number; rows: number; bytes: number }>;
  files: LakeFile[];
  filesTotal: number;
  bytesTotal: number;
  /** The snapshots that touched the table, newest first. */
  snapshots: LakeSnapshot[];
}

export interface LakeRows {
  snapshot: number;
  columns: Array<{ name: string; type: string }>;
  rows: SqlCell[][];
  /** The table holds more rows than `limit`. */
  truncated: boolean;
}
