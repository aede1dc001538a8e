/**
 * What the UI's histories share: take a sample now and then every `everyMs` (never two at once, and
 * none after `stop()`), and hand each one that `take` returns to the subscribers. `take` answers
 * undefined to skip a round; a round that throws is skipped too, and its error given to `onError`.
 */
export interface Sampler<T> {
  subscribe(listener: (sample: T) => void): () => void;
  stop(): void;
  readonly stopped: boolean;
}

export function startSampler<T>(everyMs: number, take: () => Promise<T | undefined>, onError?: (error: unknown) => void): Sampler<T> {
  const listeners = new Set<(sample: T) => void>();
  let stopped = false;
  let busy = false;
  const round = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      const sample = await take();
      if (sample !== undefined && !stopped) for (const listener of listeners) listener(sample);
    } catch (error) {
      // A round that fails is left out; the next one tries again (a timer's rejection would end the process).
      onError?.(error);
    } finally {
      busy = false;
    }
  };
  // After the caller has its sampler (its `take` may read `stopped`).
  queueMicrotask(() => void round());
  const timer = setInterval(() => void round(), everyMs);
  timer.unref();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      listeners.clear();
    },
    get stopped() {
      return stopped;
    },
  };
}
