/**
 * Long-running services (stream jobs, the ingest API) under supervision: each runs until it is
 * stopped; when it crashes it is started again after the retry policy's backoff, unless its error is
 * not retryable. A service that stayed up for `healthyAfterMs` starts its backoff from the beginning.
 * Its status (state, restarts, last error) is there for the UI and `tributary dev` to show.
 */
import { isTributaryError } from '../errors.ts';
import { systemClock, type Clock } from '../retry/clock.ts';
import { backoffDelay, isRetryable, retryPolicy, type RetryOptions } from '../retry/retry-policy.ts';
import type { RunError } from './orchestrator.ts';

export interface Service {
  id: string;
  /** Runs until `signal` aborts (then resolves), or throws when it crashes. */
  run(signal: AbortSignal): Promise<void>;
}

export interface ServiceStatus {
  id: string;
  state: 'running' | 'backoff' | 'stopped' | 'failed';
  restarts: number;
  since: Date;
  lastError?: RunError;
}

export type ServiceEvent =
  | { type: 'orchestrator:service:started'; id: string; restarts: number }
  | { type: 'orchestrator:service:crashed'; id: string; error: RunError; restartInMs?: number };

export interface SuperviseOptions {
  clock?: Clock;
  random?: () => number;
  /** Backoff between restarts (default 1 s doubling to 60 s, full jitter); maxAttempts is ignored. */
  backoff?: Omit<RetryOptions, 'maxAttempts'>;
  /** Up this long counts as healthy: the next crash backs off from the start again (default 60 s). */
  healthyAfterMs?: number;
  onEvent?: (event: ServiceEvent) => void;
}

export interface Supervisor {
  status(): ServiceStatus[];
  /** Abort every service and wait for them to end. */
  stop(): Promise<void>;
}

const toRunError = (error: unknown): RunError =>
  isTributaryError(error) ? { code: error.code, message: error.message } : { code: 'ORCHESTRATOR_TASK_FAILED', message: error instanceof Error ? error.message : String(error) };

export function supervise(services: readonly Service[], options: SuperviseOptions = {}): Supervisor {
  const clock = options.clock ?? systemClock;
  const policy = retryPolicy({ ...options.backoff, maxAttempts: 1000 });
  const healthyAfterMs = options.healthyAfterMs ?? 60_000;
  const stopping = new AbortController();
  const statuses = new Map<string, ServiceStatus>();
  const set = (status: ServiceStatus) => statuses.set(status.id, status);

  const loops = services.map(async (service) => {
    let restarts = 0;
    let failures = 0;
    while (!stopping.signal.aborted) {
      const started = clock.now();
      set({ id: service.id, state: 'running', restarts, since: new Date(started), ...lastError(statuses.get(service.id)) });
      options.onEvent?.({ type: 'orchestrator:service:started', id: service.id, restarts });
      try {
        await service.run(stopping.signal);
        if (stopping.signal.aborted) break;
        throw new Error(`service ${service.id} returned without being stopped`);
      } catch (error) {
        if (stopping.signal.aborted) break;
        const runError = toRunError(error);
        if (clock.now() - started >= healthyAfterMs) failures = 0;
        failures++;
        if (!isRetryable(error)) {
          set({ id: service.id, state: 'failed', restarts, since: new Date(clock.now()), lastError: runError });
          options.onEvent?.({ type: 'orchestrator:service:crashed', id: service.id, error: runError });
          return;
        }
        const delay = backoffDelay(policy, failures, options.random);
        set({ id: service.id, state: 'backoff', restarts, since: new Date(clock.now()), lastError: runError });
        options.onEvent?.({ type: 'orchestrator:service:crashed', id: service.id, error: runError, restartInMs: delay });
        try {
          await clock.sleep(delay, stopping.signal);
        } catch {
          break;
        }
        restarts++;
      }
    }
    set({ id: service.id, state: 'stopped', restarts, since: new Date(clock.now()), ...lastError(statuses.get(service.id)) });
  });

  return {
    status: () => services.map((s) => statuses.get(s.id)!).filter(Boolean),
    async stop() {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}

function lastError(status: ServiceStatus | undefined): { lastError?: RunError } {
  return status?.lastError ? { lastError: status.lastError } : {};
}
