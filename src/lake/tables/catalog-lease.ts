/**
 * One attach at a time of a catalog within this process. Two DuckDB instances attaching an embedded
 * catalog file at once (scheduled batch runs starting together) fail replaying each other's WAL, and
 * two first attaches of a PostgreSQL catalog race to create its schema. Only the attach is
 * serialised: a lease held for a whole run would deadlock a reader that opens a second handle.
 */
const queues = new Map<string, Promise<void>>();

/** Waits for the catalog named `key`, and returns the function that hands it to the next waiter. */
export async function leaseCatalog(key: string): Promise<() => void> {
  const before = queues.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = before.then(() => mine);
  queues.set(key, tail);
  await before;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
    if (queues.get(key) === tail) queues.delete(key);
  };
}

/**
 * Who in this process has an embedded catalog file open: one writing instance (the handles'
 * shared one, open-tables.ts) or any number of read-only ones (the SQL explorer's), never both.
 * DuckDB's lock on the file is held per process, so it cannot keep them apart: a read-only instance
 * reading the file while the writing one changes it reads a half-written catalog.
 */
interface Access {
  readers: number;
  writer: boolean;
  changed: Array<() => void>;
}
const access = new Map<string, Access>();

function accessOf(key: string): Access {
  let a = access.get(key);
  if (!a) access.set(key, (a = { readers: 0, writer: false, changed: [] }));
  return a;
}

function changed(key: string, a: Access): void {
  if (a.readers === 0 && !a.writer && a.changed.length === 0) access.delete(key);
  for (const wake of a.changed.splice(0)) wake();
}

/**
 * Waits until the file is free of other openers (of the other kind, or any for a writer) and takes
 * it; resolves with its release, or with undefined when `timeoutMs` passes first.
 */
export async function openCatalogFile(key: string, mode: 'read' | 'write', timeoutMs = Infinity): Promise<(() => void) | undefined> {
  const a = accessOf(key);
  const deadline = Date.now() + timeoutMs;
  while (a.writer || (mode === 'write' && a.readers > 0)) {
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await new Promise<void>((resolve) => {
      const timer = Number.isFinite(left) ? setTimeout(resolve, left) : undefined;
      a.changed.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  if (mode === 'write') a.writer = true;
  else a.readers++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (mode === 'write') a.writer = false;
    else a.readers--;
    changed(key, a);
  };
}
