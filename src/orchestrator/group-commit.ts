/**
 * Group commit: calls that arrive while a flush is in flight wait and go together in the next one,
 * so a busy worker records many attempts per transaction while a quiet one pays no added delay.
 */
import type { RunSnapshot, RunsMutation } from '../metadata/run-store.ts';
import type { AttemptRecord, RunRecord, TaskRecord } from './orchestrator.ts';

/** A flush's answer for an item it could not take now (its run was locked elsewhere): it goes into the next flush. */
export const LATER: unique symbol = Symbol('later');

export function groupCommit<I, O>(flush: (items: I[]) => Promise<(O | typeof LATER)[]>, maxBatch = 500): (item: I) => Promise<O> {
  let pending: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;
  const drain = async () => {
    while (pending.length > 0) {
      const batch = pending.slice(0, maxBatch);
      pending = pending.slice(batch.length);
      try {
        const out = await flush(batch.map((b) => b.item));
        const later = batch.filter((_, i) => out[i] === LATER);
        batch.forEach((b, i) => out[i] !== LATER && b.resolve(out[i] as O));
        pending = [...later, ...pending];
        // Nothing could be taken (all locked elsewhere): give the other transactions a moment.
        if (later.length === batch.length) await new Promise((resolve) => setTimeout(resolve, 2));
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    scheduled = false;
  };
  return (item) =>
    new Promise<O>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(() => void drain());
      }
    });
}

/** Collects the mutations of many decisions over the same snapshots, each seeing the ones before it. */
export class MutationSet {
  private readonly runs = new Map<string, RunRecord>();
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly attempts = new Map<string, AttemptRecord>();

  add(snapshot: RunSnapshot, m: { run?: RunRecord; tasks?: TaskRecord[]; attempts?: AttemptRecord[] }): void {
    if (m.run) {
      snapshot.run = m.run;
      this.runs.set(m.run.runId, m.run);
    }
    for (const t of m.tasks ?? []) {
      const i = snapshot.tasks.findIndex((x) => x.taskId === t.taskId);
      if (i >= 0) snapshot.tasks[i] = t;
      this.tasks.set(`${t.runId}\u0000${t.taskId}`, t);
    }
    for (const a of m.attempts ?? []) this.attempts.set(`${a.runId}\u0000${a.taskId}\u0000${a.attempt}`, a);
  }

  mutation<T>(result: T): RunsMutation<T> {
    return { runs: [...this.runs.values()], tasks: [...this.tasks.values()], attempts: [...this.attempts.values()], result };
  }
}
