/**
 * Keyed state: what stream jobs keep between records (window buffers, checkpoints) and what sources
 * remember (fingerprints of what they have already emitted, cursors).
 *
 * Glossary:
 * - namespace: an independent key space, e.g. `job.pins-clean/checkpoint` or `scraper.kijiji/fp`.
 * - fingerprint: a short digest of what a source emitted for a key; a changed fingerprint means the
 *   item changed (e.g. a listing's price) and is emitted again as an update.
 *
 * Lifecycle: `open*StateStore(...)` → calls → `close()`. Calls after close reject with STATE_CLOSED.
 *
 * Guarantees: a resolved `commit` is durable (embedded: fsynced; Redis: acknowledged by the server
 * under its persistence settings) and atomic: every change in it is visible, or none is, also after a
 * crash. That is what makes a checkpoint (operator state plus the offsets it reflects) consistent.
 * `checkAndSet` is atomic per key, so two workers never both see 'new' for one key.
 *
 * Errors (TributaryError codes): STATE_UNAVAILABLE (cannot reach or write the store; retryable: a
 * failed commit changed nothing, except that on Redis a commit whose reply was lost may have been
 * applied, in full and never in part), STATE_CLOSED.
 *
 * Keys are ordered by their UTF-8 bytes (code point order), the same on every backend.
 */

export type Fingerprint = 'new' | 'changed' | 'unchanged';

export interface StateStore {
  readonly backend: 'embedded' | 'redis';
  get(namespace: string, key: string): Promise<Buffer | undefined>;
  getMany(namespace: string, keys: readonly string[]): Promise<(Buffer | undefined)[]>;
  /** Apply puts (a value) and deletes (undefined) in one atomic, durable step. */
  commit(namespace: string, changes: ReadonlyMap<string, Buffer | undefined>): Promise<void>;
  /** Every key and value of a namespace (optionally under a key prefix), in key order. */
  entries(namespace: string, prefix?: string): Promise<[string, Buffer][]>;
  /** Remember `fingerprint` for `key`, saying whether the key is new, changed or unchanged. */
  checkAndSet(namespace: string, key: string, fingerprint: string): Promise<Fingerprint>;
  /** Remove a namespace and everything in it. */
  clear(namespace: string): Promise<void>;
  close(): Promise<void>;
}
