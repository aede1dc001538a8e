/** One task attempt in this process: its context, its timeout, its captured log lines, its outcome. */
import { TributaryError, isTributaryError } from '../errors.ts';
import type { Clock } from '../retry/clock.ts';
import type { JsonValue, LogLine, Task, TaskContext, TaskLogger } from './orchestrator.ts';
import type { Outcome } from './transitions.ts';

/** Outputs are for small things (counts, ids); larger data belongs in the lake. */
export const MAX_OUTPUT_BYTES = 64 * 1024;
const MAX_LOG_LINES = 1000;

export interface LogSink {
  (line: LogLine, where: { runId: string; taskId: string; attempt: number }): void;
}

export function captureLogger(where: { runId: string; taskId: string; attempt: number }, clock: Clock, forward?: LogSink): { logger: TaskLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const write = (level: LogLine['level']) => (message: string, fields?: Record<string, unknown>) => {
    const line: LogLine = { ts: clock.now(), level, message, ...(fields === undefined ? {} : { fields }) };
    lines.push(line);
    if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
    forward?.(line, where);
  };
  return { logger: { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }, lines };
}

export interface RunTaskOptions<Areas> {
  task: Task<Areas>;
  context: Omit<TaskContext<Areas>, 'signal' | 'logger'>;
  clock: Clock;
  /** Aborted from outside: cancellation, a lost lease, shutdown. */
  signal: AbortSignal;
  forward?: LogSink;
}

export async function runTask<Areas>(o: RunTaskOptions<Areas>): Promise<Outcome> {
  const { task, context } = o;
  const controller = new AbortController();
  const stopTimer = new AbortController();
  const onAbort = () => controller.abort(o.signal.reason);
  o.signal.addEventListener('abort', onAbort, { once: true });
  const { logger, lines } = captureLogger({ runId: context.runId, taskId: context.taskId, attempt: context.attempt }, o.clock, o.forward);
  const ctx: TaskContext<Areas> = { ...context, signal: controller.signal, logger };
  try {
    const work = Promise.resolve().then(() => task.run(ctx, context.upstream));
    const racers: Promise<unknown>[] = [work];
    if (task.timeoutMs !== undefined) {
      racers.push(
        o.clock.sleep(task.timeoutMs, stopTimer.signal).then(() => {
          const error = new TributaryError('ORCHESTRATOR_TASK_TIMEOUT', `task ${task.id} ran longer than its timeout of ${task.timeoutMs} ms`);
          controller.abort(error);
          throw error;
        }),
      );
    }
    racers.push(new Promise((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true })));
    const output = (await Promise.race(racers)) as JsonValue | undefined;
    return { ok: true, ...checkOutput(task.id, output), logs: lines };
  } catch (error) {
    const failure = toFailure(error, controller.signal);
    logger.error(failure.error.message, { code: failure.error.code });
    return { ...failure, logs: lines };
  } finally {
    stopTimer.abort();
    o.signal.removeEventListener('abort', onAbort);
  }
}

function checkOutput(taskId: string, output: JsonValue | undefined): { output?: JsonValue } {
  if (output === undefined) return {};
  const text = JSON.stringify(output);
  if (text === undefined) return {};
  if (Buffer.byteLength(text) > MAX_OUTPUT_BYTES) {
    throw new TributaryError('ORCHESTRATOR_TASK_FAILED', `task ${taskId} returned ${Buffer.byteLength(text)} bytes of output; at most ${MAX_OUTPUT_BYTES} are kept (put data in the lake, return its key)`, { retryable: false });
  }
  return { output: JSON.parse(text) as JsonValue };
}

function toFailure(error: unknown, signal: AbortSignal): { ok: false; error: { code: string; message: string }; retryable: boolean } {
  const reason = signal.aborted ? (signal.reason as unknown) : error;
  const e = isTributaryError(reason) ? reason : isTributaryError(error) ? error : undefined;
  if (e) return { ok: false, error: { code: e.code, message: e.message }, retryable: e.retryable };
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, error: { code: 'ORCHESTRATOR_TASK_FAILED', message }, retryable: true };
}
