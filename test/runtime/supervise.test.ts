/** The long-running parts' supervision on a fake clock: restarts with backoff, a fatal error, a part that ends, stopping. */
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.ts';
import { newStatus } from '../../src/runtime/run-parts.ts';
import { supervise } from '../../src/runtime/supervise.ts';
import { FakeClock, flush } from '../support/fake-clock.ts';

const untilAborted = (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

describe('supervise', () => {
  it('should restart a crashing part after a growing backoff and keep the last error in its status', async () => {
    const clock = new FakeClock(0);
    const stop = new AbortController();
    const status = newStatus('stream-job', 'clean-pins', 'pinterest');
    const startedAt: number[] = [];
    const failures: string[] = [];
    const running = supervise(
      status,
      stop.signal,
      (signal) => {
        startedAt.push(clock.now());
        if (startedAt.length <= 3) return Promise.reject(new TributaryError('LOG_UNAVAILABLE', 'broker gone'));
        return untilAborted(signal);
      },
      { clock, backoff: { initialDelayMs: 100, factor: 2, jitter: 0 }, onFailure: (_e, s) => failures.push(s.state) },
    );
    await flush();
    expect(status).toMatchObject({ state: 'restarting', restarts: 0, lastError: { code: 'LOG_UNAVAILABLE', message: 'broker gone' } });
    await clock.advance(1000);
    expect(startedAt).toEqual([0, 100, 300, 700]);
    expect(status).toMatchObject({ state: 'running', restarts: 3, lastError: { code: 'LOG_UNAVAILABLE' } });
    stop.abort();
    await running;
    expect(status.state).toBe('stopped');
    expect(failures).toEqual(['restarting', 'restarting', 'restarting']);
  });

  it('should start the backoff again after the part stayed up long enough', async () => {
    const clock = new FakeClock(0);
    const stop = new AbortController();
    const startedAt: number[] = [];
    const running = supervise(
      newStatus('service', 'ingest'),
      stop.signal,
      async () => {
        startedAt.push(clock.now());
        await clock.sleep(startedAt.length === 2 ? 5000 : 0);
        throw new Error('crash');
      },
      { clock, backoff: { initialDelayMs: 100, factor: 10, jitter: 0 }, healthyAfterMs: 5000 },
    );
    await clock.advance(5200);
    stop.abort();
    await running;
    // 0: crash, wait 100; 100: up 5 s then crash, healthy, so wait 100 again (not 1000); 5200: third start.
    expect(startedAt).toEqual([0, 100, 5200]);
  });

  it('should leave a part whose error is not retryable failed, without restarting it', async () => {
    const clock = new FakeClock(0);
    const status = newStatus('service', 'bad-config');
    let starts = 0;
    await supervise(status, new AbortController().signal, () => {
      starts++;
      return Promise.reject(new TributaryError('CONFIG_INVALID', 'no brokers'));
    }, { clock });
    await clock.advance(600_000);
    expect(starts).toBe(1);
    expect(status).toMatchObject({ state: 'failed', restarts: 0, lastError: { code: 'CONFIG_INVALID', message: 'no brokers' } });
  });

  it('should mark a part that returns on its own as stopped, not crashed', async () => {
    const status = newStatus('service', 'bounded-emulator');
    await supervise(status, new AbortController().signal, () => Promise.resolve(), { clock: new FakeClock(0) });
    expect(status).toMatchObject({ state: 'stopped', restarts: 0 });
    expect(status.lastError).toBeUndefined();
  });
});
