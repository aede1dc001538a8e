/**
 * The distributed executor: attempts are graphile-worker jobs in PostgreSQL. `dispatch` adds them
 * with `addJobs` (one statement for many; when a sweep dispatches one again, with a job key per
 * attempt, so one still waiting is not queued twice); `start` runs a graphile-worker pool that hands each job to the orchestrator.
 * graphile-worker's own retries are only for failures to reach the run store: the orchestrator's
 * retry policy decides about the task.
 */
import type { Runner, WorkerUtils } from 'graphile-worker';
import type { AttemptRef, Executor } from '../orchestrator.ts';

export interface GraphileExecutorOptions {
  connectionString: string;
  /** graphile-worker's schema (default graphile_worker). */
  schema?: string;
  /** Jobs run at once in this process (default 10). */
  concurrency?: number;
  /** Jobs fetched and locked per query when many are waiting (default off, 0). */
  localQueueSize?: number;
  /** How often to look for jobs whose run_at has come (ms; new jobs arrive by LISTEN/NOTIFY; default 1000). */
  pollIntervalMs?: number;
  /** The graphile-worker task name (default tributary_attempt). */
  identifier?: string;
  onError?: (error: unknown) => void;
}

interface Payload {
  r: string;
  t: string;
  a: number;
}

const silent = () => () => undefined;

export function createGraphileExecutor(options: GraphileExecutorOptions): Executor & { utils(): Promise<WorkerUtils> } {
  const identifier = options.identifier ?? 'tributary_attempt';
  const schema = options.schema ?? 'graphile_worker';
  let utils: Promise<WorkerUtils> | undefined;
  let runner: Runner | undefined;

  const getUtils = async (): Promise<WorkerUtils> => {
    utils ??= (async () => {
      const { makeWorkerUtils, Logger } = await import('graphile-worker');
      const made = await makeWorkerUtils({ connectionString: options.connectionString, schema, logger: new Logger(silent) });
      await made.migrate();
      return made;
    })();
    return utils;
  };

  return {
    kind: 'postgres',
    utils: getUtils,
    async start(handle) {
      const { run, Logger } = await import('graphile-worker');
      const localQueue = options.localQueueSize ?? 0;
      runner = await run({
        connectionString: options.connectionString,
        schema,
        concurrency: options.concurrency ?? 10,
        pollInterval: options.pollIntervalMs ?? 1000,
        noHandleSignals: true,
        logger: new Logger(silent),
        taskList: {
          [identifier]: async (payload) => {
            const p = payload as Payload;
            await handle({ runId: p.r, taskId: p.t, attempt: p.a });
          },
        },
        ...(localQueue > 1 ? { preset: { worker: { localQueue: { size: localQueue }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } } } : {}),
      });
      runner.promise.catch((error: unknown) => options.onError?.(error));
    },
    async dispatch(refs: readonly AttemptRef[], options: { again?: boolean } = {}) {
      if (refs.length === 0) return;
      const u = await getUtils();
      await u.addJobs(
        refs.map((ref) => ({
          identifier,
          payload: { r: ref.runId, t: ref.taskId, a: ref.attempt } satisfies Payload,
          ...(options.again ? { jobKey: `${ref.runId}/${ref.taskId}/${ref.attempt}` } : {}),
          maxAttempts: 10,
          ...(ref.runAt === undefined ? {} : { runAt: new Date(ref.runAt) }),
        })),
      );
    },
    async stop() {
      await runner?.stop();
      runner = undefined;
      if (utils) await (await utils).release();
      utils = undefined;
    },
  };
}
