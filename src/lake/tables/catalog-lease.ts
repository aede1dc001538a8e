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
