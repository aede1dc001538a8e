/** `tributary batch run|history|list`: batch jobs from a registry over the configured lake and metadata store. */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { ErrorBudget } from '../../batch/batch-job.ts';
import { batchJobRegistry, findBatchJob, type BatchJobRegistry } from '../../batch/registry.ts';
import { loadPipelines } from '../../runtime/load-pipelines.ts';
import { TributaryError } from '../../errors.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { table } from '../table.ts';

interface RunOptions extends PipelineOptions {
  full?: boolean;
  errorBudget?: number;
  schemaDrift?: 'fail' | 'evolve';
}

function budget(value: number | undefined): ErrorBudget | undefined {
  if (value === undefined) return undefined;
  return value < 1 ? { fraction: value } : { count: Math.floor(value) };
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of 0 or more (below 1: a fraction, from 1: a count)');
  return n;
}

const int = (n: number) => n.toLocaleString('en-US');

interface PipelineOptions extends GlobalOptions {
  pipeline?: string[];
}

const pipelineOption = ['--pipeline <module>', 'the pipelines whose batch jobs to use (repeatable; default: those in the project config)', (v: string, acc: string[] = []) => [...acc, v]] as const;

export function batchCommand(ctx: CliContext): Command {
  const registryFor = async (options: PipelineOptions): Promise<BatchJobRegistry> => {
    const loaded = await ctx.loadConfig(options);
    return batchJobRegistry((await loadPipelines(options.pipeline ?? [], loaded, ctx.io.cwd)).map((l) => l.pipeline));
  };
  const batch = new Command('batch').description('run batch jobs over the lake and show their history');
  const out = (text: string) => ctx.io.stdout.write(text);
  const err = (text: string) => ctx.io.stderr.write(text);

  batch
    .command('list')
    .description('list the batch jobs')
    .option(...pipelineOption)
    .action(async (_o, command: Command) => {
      const registry = await registryFor(command.optsWithGlobals<PipelineOptions>());
      const rows = Object.values(registry).map((job) => [job.name, `${job.output.zone}/${job.output.dataset}`, job.description ?? '']);
      out(table(['job', 'output', 'description'], rows));
    });

  batch
    .command('run <job>')
    .description('run a job when its current inputs changed: recompute the output partitions they touch (or all with --full)')
    .option('--full', 'recompute the whole output from the current inputs, changed or not')
    .option('--error-budget <n>', 'malformed rows allowed: below 1 a fraction of rows read, from 1 a count', nonNegative)
    .option('--schema-drift <policy>', 'fail or evolve when input columns differ from the expected ones')
    .option(...pipelineOption)
    .action(async (name: string, _o, command: Command) => {
      const options = command.optsWithGlobals<RunOptions>();
      const registry = await registryFor(options);
      if (options.schemaDrift !== undefined && options.schemaDrift !== 'fail' && options.schemaDrift !== 'evolve') {
        throw new TributaryError('CLI_USAGE', `--schema-drift expects fail or evolve, got "${String(options.schemaDrift)}"`);
      }
      const job = findBatchJob(registry, name);
      const loaded = await ctx.loadConfig(options);
      const { config } = loaded;
      const { openLake } = await import('../../lake/open-lake.ts');
      const { openMetadataStore } = await import('../../metadata/open-metadata.ts');
      const { openLakeTables, tablesSettings } = await import('../../lake/tables/open-tables.ts');
      const { batchSettings } = await import('../../batch/duckdb.ts');
      const { runBatchJob } = await import('../../batch/run-batch-job.ts');
      const lake = await openLake(config, { cwd: ctx.io.cwd });
      try {
        const metadata = await openMetadataStore(config, { cwd: ctx.io.cwd });
        try {
          const tables = await openLakeTables(tablesSettings(config, ctx.io.cwd), { settings: batchSettings({ threads: config.batch.threads, ...(config.batch.memoryLimit ? { memoryLimit: config.batch.memoryLimit } : {}) }) });
          try {
            const errorBudget = budget(options.errorBudget ?? config.batch.errorBudget);
            const schemaDrift = options.schemaDrift ?? config.batch.schemaDrift;
            const summary = await runBatchJob(
              job,
              { lake, metadata, tables },
              {
                ...(options.full ? { full: true } : {}),
                ...(errorBudget ? { errorBudget } : {}),
                ...(schemaDrift ? { schemaDrift } : {}),
                onEvent: (event) => {
                  if (event.type === 'batch:run:recovered') {
                    err(`${event.job}: ${event.failed.length} interrupted run${event.failed.length === 1 ? '' : 's'} marked failed${event.succeeded.length ? `, ${event.succeeded.length} found committed` : ''}, ${event.orphans} orphan file${event.orphans === 1 ? '' : 's'} deleted\n`);
                  } else if (event.type === 'batch:plan:ready') {
                    if (event.units.length === 0) err(event.skipped ? `${event.job}: inputs unchanged since the output was computed\n` : `${event.job}: no input yet\n`);
                    else err(`${event.job}: ${event.changed.length} resource${event.changed.length === 1 ? '' : 's'} new or changed, ${event.removed.length} removed\n`);
                  } else if (event.type === 'batch:unit:started') {
                    err(`  running (${event.runId})\n`);
                  } else {
                    const r = event.result;
                    for (const d of r.drift) err(`  schema drift in ${d.file}:${d.added.length ? ` added ${d.added.join(', ')}` : ''}${d.missing.length ? ` missing ${d.missing.join(', ')}` : ''}\n`);
                    const c = r.counts;
                    const parts = r.partitions === 'all' ? 'all partitions' : `${r.partitions.length} partition${r.partitions.length === 1 ? '' : 's'}`;
                    err(
                      r.status === 'succeeded'
                        ? `  done in ${(r.durationMs / 1000).toFixed(1)} s: ${int(c.read)} read, ${int(c.written)} written to ${parts}, ${int(c.quarantined)} quarantined, ${int(c.filtered)} filtered; snapshot ${r.snapshot}\n`
                        : `  FAILED after ${(r.durationMs / 1000).toFixed(1)} s: ${r.error?.message ?? 'unknown error'}\n`,
                    );
                  }
                },
              },
            );
            if (summary.units.length === 0 && summary.skipped === 0) {
              const inputs = job.inputs.map((i) => `${i.zone}/${i.dataset}/${i.kind === 'files' ? ` (${i.format} files${i.extension ? ` ending ${i.extension}` : ''})` : ' (a dataset)'}`).join(', ');
              const where = config.lake.backend === 'fs' ? path.resolve(ctx.io.cwd, config.dataDir, 'lake') : `s3://${config.s3.bucket}`;
              throw new TributaryError(
                'BATCH_INPUT_INVALID',
                `${job.name} has no input: it reads ${inputs} in the lake at ${where}, and there is nothing there yet. A pipeline's source or the archiver puts it there: run the pipeline (tributary dev <pipeline>), or the source that feeds it (tributary source run <source> --pipeline <pipeline>)`,
              );
            }
            const c = summary.counts;
            const unit = summary.units[0];
            out(
              unit
                ? `${summary.job}: ${unit.status} in ${(summary.durationMs / 1000).toFixed(1)} s${unit.snapshot !== undefined ? `, snapshot ${unit.snapshot}` : ''}\n` +
                    `rows: ${int(c.read)} in, ${int(c.written)} out, ${int(c.quarantined)} quarantined, ${int(c.filtered)} filtered; files: ${c.files}\n`
                : `${summary.job}: skipped, inputs unchanged\n`,
            );
            if (c.quarantined > 0) out(`quarantine: ${tables.alias}.quarantine.${job.output.zone}_${job.output.dataset}\n`);
            if (summary.failed > 0) {
              const first = unit?.error;
              throw new TributaryError(first?.code ?? 'INTERNAL', `${summary.job} failed: ${first?.message ?? 'unknown'}`, { cause: first });
            }
          } finally {
            await tables.close();
          }
        } finally {
          await metadata.close();
        }
      } finally {
        await lake.close();
      }
    });

  batch
    .command('history <job>')
    .description("show a job's recent runs, newest first")
    .option('-n, --limit <n>', 'how many runs', (v) => Math.max(1, Math.floor(nonNegative(v))), 20)
    .option(...pipelineOption)
    .action(async (name: string, _o, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions & { limit: number }>();
      const { config } = await ctx.loadConfig(options);
      const { openMetadataStore } = await import('../../metadata/open-metadata.ts');
      const metadata = await openMetadataStore(config, { cwd: ctx.io.cwd });
      try {
        const runs = await metadata.runs(name, { limit: options.limit });
        const rows = runs.map((r) => [
          r.runId,
          r.unit,
          r.status,
          r.started.toISOString(),
          r.finished ? `${((r.finished.getTime() - r.started.getTime()) / 1000).toFixed(1)} s` : '',
          String(r.counts.read),
          String(r.counts.written),
          String(r.counts.quarantined),
          r.error ?? '',
        ]);
        out(table(['run', 'partition', 'status', 'started', 'took', 'read', 'written', 'quarantined', 'error'], rows));
      } finally {
        await metadata.close();
      }
    });
  return batch;
}
