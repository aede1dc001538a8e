/**
 * The changes a job collects between two sink writes: rows to upsert and keys to delete, in the
 * order the job made them. A sink applies a write's deletes before its rows, which is the wrong
 * order for a row followed by a delete of its key; so here the last change to a key replaces every
 * earlier one, and the write that comes out holds each key once, as a row or as a delete, never
 * both. Applying it in any order then leaves what applying the changes one by one would.
 *
 * Without key columns (a job that never deletes) rows are kept as they come and the sink keeps the
 * last row per key, as it does for any write.
 */
import { TributaryError } from '../errors.ts';
import { keyOfColumns } from './rows.ts';
import type { Row, SinkWrite } from './sink.ts';

export class PendingWrite {
  readonly #key: readonly string[] | undefined;
  /** By key: the last row, or null for a delete (then `#deleted` has its key columns). */
  #changes = new Map<string, Row | null>();
  #deleted = new Map<string, Row>();
  #rows: Row[] = [];

  /** `key`: the table's key columns; needed to delete. */
  constructor(key?: readonly string[]) {
    this.#key = key;
  }

  get size(): number {
    return this.#key === undefined ? this.#rows.length : this.#changes.size;
  }

  upsert(row: Row): void {
    if (this.#key === undefined) {
      this.#rows.push(row);
      return;
    }
    const id = keyOfColumns(row, this.#key);
    this.#deleted.delete(id);
    this.#changes.set(id, row);
  }

  /** Deletes the row with `row`'s key; only the key columns are kept. */
  delete(row: Row): void {
    if (this.#key === undefined) throw new TributaryError('INTERNAL', 'a pending write without key columns cannot delete');
    const id = keyOfColumns(row, this.#key);
    this.#changes.set(id, null);
    this.#deleted.set(id, Object.fromEntries(this.#key.map((column) => [column, row[column]])));
  }

  /** The collected changes as a write's rows and deletes; empties the pending write. */
  take(): Pick<SinkWrite, 'rows' | 'deletes'> {
    if (this.#key === undefined) {
      const rows = this.#rows;
      this.#rows = [];
      return { rows };
    }
    const rows: Row[] = [];
    for (const row of this.#changes.values()) if (row !== null) rows.push(row);
    const deletes = [...this.#deleted.values()];
    this.#changes = new Map();
    this.#deleted = new Map();
    return deletes.length === 0 ? { rows } : { rows, deletes };
  }
}
