/**
 * What the stream benchmark measures with: CPU and wall time of a phase, a producer that appends at
 * a steady rate with the append time in each record, latency samples, and a sink wrapper that
 * notes when each write committed.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import type { LogProducer, ProducerRecord } from '../src/log/log.ts';
import type { Row, Sink, SinkWrite } from '../src/sinks/sink.ts';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across the process. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Wall time and process CPU time (all threads: the event loop, GC, libuv's pool) from `start()` on. */
export function stopwatch(): { stop(): { seconds: number; cores: number } } {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return {
    stop() {
      const seconds = (performance.now() - wall) / 1000;
      const used = process.cpuUsage(cpu);
      return { seconds, cores: (used.user + used.system) / 1e6 / seconds };
    },
  };
}

/**
 * A CPU profile of this thread from `start()` to `stop(name)`, written as `<dir>/<name>.cpuprofile`
 * (open it in Chrome DevTools or speedscope); does nothing without a `dir`.
 */
export async function profiler(dir: string | undefined): Promise<{ stop(name: string): Promise<void> }> {
  if (!dir) return { stop: () => Promise.resolve() };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(name) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await writeFile(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    },
  };
}

/** CPU microseconds of this process (all threads) since `from`, a `process.cpuUsage()`, per record. */
export function cpuPerRecord(from: NodeJS.CpuUsage, records: number): number {
  const used = process.cpuUsage(from);
  return Math.round(((used.user + used.system) / records) * 100) / 100;
}

/** Latency samples in ms; only those taken at or after `from` (the end of a warm-up) count. */
export class Latencies {
  private samples: number[] = [];
  readonly from: number;

  constructor(from: number) {
    this.from = from;
  }

  add(appendedAt: number, visibleAt: number): void {
    if (appendedAt >= this.from) this.samples.push(visibleAt - appendedAt);
  }

  get count(): number {
    return this.samples.length;
  }

  percentiles(): { p50Ms: number; p99Ms: number } {
    const sorted = Float64Array.from(this.samples).sort();
    const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN, 1);
    return { p50Ms: at(0.5), p99Ms: at(0.99) };
  }
}

/**
 * Appends `rate` records per second for `seconds`, each built by `make(i, appendedAt)`: every
 * millisecond tick sends what is due since the start in one `send`, without waiting for the
 * acknowledgement (up to `maxInFlight` sends), as a source connector would. Returns the count sent.
 */
export async function steadyProducer(producer: LogProducer, rate: number, seconds: number, make: (i: number, appendedAt: number) => ProducerRecord, maxInFlight = 1000): Promise<number> {
  const start = performance.now();
  const total = Math.round(rate * seconds);
  const inFlight = new Set<Promise<unknown>>();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    if (due > sent) {
      const at = nowMs();
      const batch: ProducerRecord[] = [];
      for (; sent < due; sent++) batch.push(make(sent, at));
      const send = producer.send(batch);
      inFlight.add(send);
      void send.finally(() => inFlight.delete(send));
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  return sent;
}

/** A sink that calls `committed(rows, at)` with the time each write resolved, i.e. committed in the store. */
export function timedSink(inner: Sink, committed: (rows: readonly Row[], at: number) => void): Sink {
  return {
    guarantee: inner.guarantee,
    open: () => inner.open(),
    positions: () => inner.positions(),
    async write(batch: SinkWrite) {
      await inner.write(batch);
      committed(batch.rows, nowMs());
    },
    scan: () => inner.scan(),
    close: () => inner.close(),
  };
}

/** Resolves when `done()` holds, checking every 20 ms, or rejects after `timeoutMs`. */
export async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
