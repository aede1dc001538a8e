/** A Clock for tests: time moves only when the test advances it, and sleepers wake in time order. */
import type { Clock } from '../../src/retry/clock.ts';

interface Sleeper {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Let promise chains and I/O callbacks that are already due run (no time passes on the fake clock). */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private sleepers: Sleeper[] = [];

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.time = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const sleeper: Sleeper = { at: this.time + Math.max(0, ms), seq: this.seq++, resolve };
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal!.reason as Error);
      };
      sleeper.resolve = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Sleepers waiting now. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Move time forward by `ms`, waking each sleeper at its own time and letting its work run before the next. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await flush();
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      this.time = Math.max(this.time, next.at);
      next.resolve();
      await flush();
    }
    this.time = target;
    await flush();
  }
}
