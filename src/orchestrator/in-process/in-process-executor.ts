/**
 * The embedded executor: attempts run in this process, at most `concurrency` at once, each when its
 * `runAt` has come (on the injected clock). Nothing survives the process; the run store does, and
 * the orchestrator's sweep dispatches what was queued again after a restart.
 */
import { systemClock, type Clock } from '../../retry/clock.ts';
import type { AttemptRef, Executor } from '../orchestrator.ts';

export interface InProcessExecutor extends Executor {
  /** Attempts running or waiting for a free slot (not those waiting for their runAt). */
  readonly busy: number;
  /** Resolves when no attempt runs or waits for a slot. */
  idle(): Promise<void>;
}

export function createInProcessExecutor(options: { clock?: Clock; concurrency?: number; onError?: (error: unknown, ref: AttemptRef) => void } = {}): InProcessExecutor {
  const clock = options.clock ?? systemClock;
  const concurrency = options.concurrency ?? 8;
  const stopping = new AbortController();
  const ready: AttemptRef[] = [];
  let running = 0;
  let handle: ((ref: AttemptRef) => Promise<void>) | undefined;
  let idleWaiters: (() => void)[] = [];

  const checkIdle = () => {
    if (running === 0 && ready.length === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
    }
  };

  const pump = () => {
    while (handle && running < concurrency && ready.length > 0 && !stopping.signal.aborted) {
      const ref = ready.shift()!;
      running++;
      handle(ref)
        .catch((error: unknown) => options.onError?.(error, ref))
        .finally(() => {
          running--;
          pump();
          checkIdle();
        });
    }
    checkIdle();
  };

  return {
    kind: 'in-process',
    get busy() {
      return running + ready.length;
    },
    start(h) {
      handle = h;
      pump();
      return Promise.resolve();
    },
    dispatch(refs) {
      const now = clock.now();
      for (const ref of refs) {
        if (ref.runAt !== undefined && ref.runAt > now) {
          clock.sleep(ref.runAt - now, stopping.signal).then(
            () => {
              ready.push(ref);
              pump();
            },
            () => undefined,
          );
        } else ready.push(ref);
      }
      pump();
      return Promise.resolve();
    },
    idle() {
      if (running === 0 && ready.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopping.abort();
      ready.length = 0;
      while (running > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
