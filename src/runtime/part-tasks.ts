/**
 * The built-in task kinds: what a pipeline's declared parts become for the orchestrator.
 * - a source poll or download (`sourceTask`): one `poll()` of the source, its component created once
 *   per process and closed when the process stops;
 * - a batch job unit (`batchJobTask`): one incremental run of the job, with the lake's tables attached
 *   for the run only (so that commands beside dev can attach them too);
 * - an archiver compaction (`archiveCompactionTask`): the small files of archived topics merged, per
 *   log partition and hour (batch/archiver-compact.ts);
 * - lake maintenance (`lakeMaintenanceTask`): snapshot expiry, file clean-up and merging of small files.
 * Each returns its counts as the task's output, and adds them to the part's live status (`PartStatus`),
 * which `tributary dev` prints and `GET /api/status` serves.
 */
import { isTributaryError, TributaryError, type ErrorCode } from '../errors.ts';
import { runBatchJob } from '../batch/run-batch-job.ts';
import type { Config } from '../config/schema.ts';
import type { CompactOptions } from '../batch/archiver-compact.ts';
import type { MaintenanceOptions } from '../lake/tables/maintenance.ts';
import type { LakeTables } from '../lake/tables/tables.ts';
import type { JsonValue, Task, TaskContext } from '../orchestrator/orchestrator.ts';
import { task } from '../orchestrator/define.ts';
import type { Source } from '../sources/source.ts';
import type { RetryOptions } from '../retry/retry-policy.ts';
import type { BatchJobDeclaration, PipelineContext, SourceDeclaration, TaskAreas } from './pipeline.ts';
import type { Runtime } from './runtime.ts';
import type { PartStatus } from './supervise.ts';

/** A failed poll or batch run is tried again soon; after that the next scheduled run is the retry. */
const PART_RETRY: RetryOptions = { maxAttempts: 3, initialDelayMs: 500, maxDelayMs: 10_000 };

const add = (status: PartStatus, name: string, n: number) => (status.counts[name] = (status.counts[name] ?? 0) + n);

function recordFailure(status: PartStatus, counter: string, error: unknown): void {
  add(status, counter, 1);
  status.lastError = { code: isTributaryError(error) ? error.code : 'INTERNAL', message: (error as Error).message ?? String(error), at: new Date().toISOString() };
}

export interface SourceTask {
  task: Task<TaskAreas>;
  /** Closes the source component, when a poll created it. */
  close(): Promise<void>;
}

export function sourceTask(ctx: PipelineContext, declaration: SourceDeclaration, status: PartStatus): SourceTask {
  Object.assign(status.counts, { polls: 0, emitted: 0, skipped: 0, rejected: 0, failedPolls: 0 });
  let source: Source | undefined;
  const open = (): Source => {
    source ??= declaration.component.create(declaration.config, { log: ctx.log, state: ctx.state, logger: ctx.logger, ...(declaration.writesTo === 'lake' ? { lake: ctx.lake } : {}) });
    return source;
  };
  return {
    task: task<TaskAreas>({
      id: declaration.component.name === 'ckan' ? 'download' : 'poll',
      retry: PART_RETRY,
      async run(tc: TaskContext<TaskAreas>) {
        add(status, 'polls', 1);
        try {
          const result = await open().poll(tc.signal);
          add(status, 'emitted', result.emitted);
          add(status, 'skipped', result.skipped);
          add(status, 'rejected', result.rejected);
          status.info.lastPoll = new Date().toISOString();
          if (result.emitted > 0 || result.rejected > 0) tc.logger.info(`${declaration.name}: ${result.emitted} emitted, ${result.skipped} skipped, ${result.rejected} rejected`);
          return { emitted: result.emitted, skipped: result.skipped, rejected: result.rejected };
        } catch (error) {
          recordFailure(status, 'failedPolls', error);
          throw error;
        }
      },
    }),
    async close() {
      const s = source;
      source = undefined;
      await s?.close();
    },
  };
}

/** Opens the lake's tables for one run, as the config says, and closes them after `fn`. */
async function withTables<T>(config: Readonly<Config>, cwd: string, fn: (tables: LakeTables) => Promise<T>): Promise<T> {
  const { openLakeTables, tablesSettings } = await import('../lake/tables/open-tables.ts');
  const { batchSettings } = await import('../batch/duckdb.ts');
  const tables = await openLakeTables(tablesSettings(config, cwd), { settings: batchSettings({ threads: config.batch.threads, ...(config.batch.memoryLimit ? { memoryLimit: config.batch.memoryLimit } : {}) }) });
  try {
    return await fn(tables);
  } finally {
    await tables.close();
  }
}

export function batchJobTask(runtime: Runtime, declaration: BatchJobDeclaration, status: PartStatus): Task<TaskAreas> {
  Object.assign(status.counts, { runs: 0, failedRuns: 0, read: 0, written: 0, quarantined: 0 });
  return task<TaskAreas>({
    id: 'run',
    retry: PART_RETRY,
    async run(tc) {
      let summary: Awaited<ReturnType<typeof runBatchJob>>;
      add(status, 'runs', 1);
      try {
        summary = await withTables(runtime.config, runtime.cwd, (tables) => runBatchJob(declaration.job, { lake: runtime.lake, metadata: runtime.metadata, tables }, {}));
      } catch (error) {
        // An input nothing has written yet (the archiver's first range, a source's first download) is not a failure.
        if (isTributaryError(error, 'LAKE_NOT_FOUND')) {
          status.info.lastRun = `${new Date().toISOString()} (no input yet)`;
          tc.logger.info(`${declaration.job.name}: no input yet`, { reason: error.message });
          return { units: 0, noInput: true };
        }
        recordFailure(status, 'failedRuns', error);
        throw error;
      }
      add(status, 'read', summary.counts.read);
      add(status, 'written', summary.counts.written);
      add(status, 'quarantined', summary.counts.quarantined);
      status.info.lastRun = new Date().toISOString();
      const output = { units: summary.units.length, failed: summary.failed, read: summary.counts.read, written: summary.counts.written, quarantined: summary.counts.quarantined, filtered: summary.counts.filtered };
      tc.logger.info(`${declaration.job.name}: ${summary.units.length} units, ${summary.counts.read} read, ${summary.counts.written} written, ${summary.counts.quarantined} quarantined`);
      if (summary.failed > 0) {
        // The run fails (and is retried by the policy) with the first failed unit's error; the units that succeeded stay published.
        const first = summary.units.find((u) => u.status === 'failed')?.error;
        const code: ErrorCode = first?.code ?? 'ORCHESTRATOR_TASK_FAILED';
        const error = new TributaryError(code, `batch job ${declaration.job.name}: ${summary.failed} of ${summary.units.length} units failed; the first: ${first?.message ?? 'no message'}`);
        recordFailure(status, 'failedRuns', error);
        throw error;
      }
      return output satisfies JsonValue;
    },
  });
}

/**
 * Compaction of archived topics as a task, for a pipeline's own graphs:
 * `graph({ id, schedule: { cron: '20 * * * *' }, tasks: [archiveCompactionTask({ topics: ['clicks'] })] })`.
 * Its output is the counts over all `topics` (files merged and replaced, rows, bytes before and after).
 */
export function archiveCompactionTask(options: Omit<CompactOptions, 'lake' | 'topic' | 'signal' | 'now'> & { topics: readonly string[]; id?: string }): Task<TaskAreas> {
  const { id = 'compact', topics, ...settings } = options;
  if (topics.length === 0) throw new TributaryError('CONFIG_INVALID', `archiveCompactionTask "${id}": name at least one archived topic in \`topics\``);
  return task<TaskAreas>({
    id,
    async run(tc) {
      const { compactArchive } = await import('../batch/archiver-compact.ts');
      const total = { merged: 0, replaced: 0, rows: 0, bytesBefore: 0, bytesAfter: 0, lost: 0, deleted: 0 };
      for (const topic of topics) {
        const report = await compactArchive({ ...settings, lake: tc.areas.lake, topic, signal: tc.signal });
        if (report.merged > 0 || report.deleted > 0) tc.logger.info(`raw/${report.dataset}: ${report.replaced} files merged into ${report.merged}, ${report.deleted} replaced files deleted`, { ...report });
        for (const name of Object.keys(total) as (keyof typeof total)[]) total[name] += report[name];
      }
      return total;
    },
  });
}

/** Lake maintenance as a task, for a pipeline's own graphs: `graph({ id, schedule, tasks: [lakeMaintenanceTask()] })`. */
export function lakeMaintenanceTask(options: MaintenanceOptions & { id?: string } = {}): Task<TaskAreas> {
  const { id = 'maintain', ...maintenance } = options;
  return task<TaskAreas>({
    id,
    async run(tc) {
      const { maintainTables } = await import('../lake/tables/maintenance.ts');
      const report = await withTables(tc.areas.config, tc.areas.cwd, (tables) => maintainTables(tables, maintenance));
      tc.logger.info('lake maintenance done', { ...report });
      return { ...report };
    },
  });
}
