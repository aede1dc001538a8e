/**
 * `tributary dag test <graph> [--date]`: one run of a graph in this process, with a throwaway run
 * store and no scheduler, its tasks' log lines on the terminal as they happen. The services of the
 * graph's pipeline (its emulators) run around it, as in `tributary dev`, unless `--no-services`.
 */
import { Command } from 'commander';
import { TributaryError } from '../../errors.ts';
import { findGraph } from '../../orchestrator/define.ts';
import type { Graph } from '../../orchestrator/orchestrator.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { logLine, noGraphs, runDetailText, type GraphProvider } from '../orchestrator-cli.ts';
import { parseDate } from './run-graph.ts';

interface DagTestOptions extends GlobalOptions {
  date?: string;
  partition?: string;
  pipeline?: string[];
  services: boolean;
}

export function dagCommand(ctx: CliContext, graphs: GraphProvider = noGraphs): Command {
  const dag = new Command('dag').description('work with graphs without the scheduler');
  dag
    .command('test <graph>')
    .description('run one run of a graph here and now, logs to the terminal, nothing recorded')
    .option('--date <date>', 'logical date of the run (default: now)')
    .option('--partition <key>', 'partition key of the run')
    .option('--pipeline <module>', 'the pipelines whose graphs to use (repeatable; default: those in the project config)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--no-services', "do not start the graph's pipeline services (its emulators) for the run")
    .action(async (graphId: string, _o, command: Command) => {
      const options = command.optsWithGlobals<DagTestOptions>();
      const loaded = await ctx.loadConfig(options);
      const provided = await graphs(options, loaded);
      let stopServices: (() => Promise<void>) | undefined;
      try {
        findGraph(provided.graphs as readonly Graph[], graphId);
        if (options.services && provided.startServices) stopServices = await provided.startServices(graphId);
        const { openEmbeddedRunStore } = await import('../../metadata/embedded/embedded-run-store.ts');
        const { createOrchestrator } = await import('../../orchestrator/create-orchestrator.ts');
        const { createInProcessExecutor } = await import('../../orchestrator/in-process/in-process-executor.ts');
        const store = await openEmbeddedRunStore({ file: ':memory:' });
        const orchestrator = createOrchestrator({
          graphs: provided.graphs as never,
          store,
          executor: createInProcessExecutor(),
          ...(provided.areas === undefined ? {} : { areas: provided.areas as never }),
          onLog: (line, where) => ctx.io.stderr.write(logLine(line, `[${where.taskId}#${where.attempt}] `)),
        });
        try {
          await orchestrator.start();
          const run = await orchestrator.trigger(graphId, {
            trigger: 'manual',
            logicalDate: options.date ? parseDate(options.date, '--date') : new Date(),
            ...(options.partition !== undefined ? { partition: options.partition } : {}),
          });
          const end = await orchestrator.waitForRun(run!.runId, { pollMs: 1000, ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) });
          ctx.io.stdout.write(runDetailText((await store.runDetail(end.runId))!));
          if (end.status !== 'succeeded') throw new TributaryError('ORCHESTRATOR_TASK_FAILED', `dag test of ${graphId} ended ${end.status}`, { retryable: false });
        } finally {
          await orchestrator.stop();
          await store.close();
        }
      } finally {
        await stopServices?.();
        await provided.close?.();
      }
    });
  return dag;
}
