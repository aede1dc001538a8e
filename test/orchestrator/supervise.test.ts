/** Supervised services on a fake clock: restarts with backoff, a fatal error stops them, stop() ends them. */
import { describe, expect, it } from 'vitest';
import { TributaryError } from '../../src/errors.ts';
import { supervise, type ServiceEvent } from '../../src/orchestrator/supervise.ts';
import { FakeClock, flush } from '../support/fake-clock.ts';

const untilAborted = (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

describe('supervised services', () => {
  it('should restart a crashing service after a growing backoff and keep the last error in its status', async () => {
    const clock = new FakeClock(0);
    const startedAt: number[] = [];
    const events: ServiceEvent['type'][] = [];
    const supervisor = supervise(
      [{
        id: 'stream:clean-pins',
        run: (signal) => {
          startedAt.push(clock.now());
          if (startedAt.length <= 3) return Promise.reject(new TributaryError('LOG_UNAVAILABLE', 'broker gone'));
          return untilAborted(signal);
        },
      }],
      { clock, backoff: { initialDelayMs: 100, factor: 2, jitter: 0 }, onEvent: (e) => events.push(e.type) },
    );
    await flush();
    expect(supervisor.status()[0]).toMatchObject({ state: 'backoff', restarts: 0, lastError: { code: 'LOG_UNAVAILABLE' } });
    await clock.advance(1000);
    expect(startedAt).toEqual([0, 100, 300, 700]);
    expect(supervisor.status()[0]).toMatchObject({ state: 'running', restarts: 3, lastError: { code: 'LOG_UNAVAILABLE' } });
    await supervisor.stop();
    expect(supervisor.status()[0]!.state).toBe('stopped');
    expect(events.filter((e) => e === 'orchestrator:service:crashed')).toHaveLength(3);
  });

  it('should start the backoff again after the service stayed up long enough', async () => {
    const clock = new FakeClock(0);
    const startedAt: number[] = [];
    const supervisor = supervise(
      [{ id: 'ingest', run: async () => { startedAt.push(clock.now()); await clock.sleep(startedAt.length === 2 ? 5000 : 0); throw new Error('crash'); } }],
      { clock, backoff: { initialDelayMs: 100, factor: 10, jitter: 0 }, healthyAfterMs: 5000 },
    );
    await clock.advance(5200);
    await supervisor.stop();
    // 0: crash, wait 100; 100: up 5 s then crash, healthy, so wait 100 again (not 1000); 5200: third start.
    expect(startedAt).toEqual([0, 100, 5200]);
  });

  it('should not restart a service whose error is not retryable', async () => {
    const clock = new FakeClock(0);
    let starts = 0;
    const supervisor = supervise([{ id: 'bad-config', run: () => { starts++; return Promise.reject(new TributaryError('CONFIG_INVALID', 'no brokers')); } }], { clock });
    await clock.advance(600_000);
    expect(starts).toBe(1);
    expect(supervisor.status()[0]).toMatchObject({ state: 'failed', lastError: { code: 'CONFIG_INVALID', message: 'no brokers' } });
    await supervisor.stop();
  });
});
