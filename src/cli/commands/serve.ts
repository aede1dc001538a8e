/**
 * `tributary serve [pipeline …]`: the HTTP server alone, until Ctrl-C: the ingest API for the
 * topics the pipelines open for ingest, the query API over their views and real-time tables,
 * /metrics and the local API. No jobs run here (`tributary dev` or `worker` run them).
 */
import { Command } from 'commander';
import { loadPipelines } from '../../runtime/load-pipelines.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { port } from './dev.ts';

interface ServeOptions extends GlobalOptions {
  port?: number;
}

export function serveCommand(ctx: CliContext): Command {
  return new Command('serve')
    .argument('[pipelines...]', 'pipeline modules or directories whose topics and views to serve; default: the pipelines in the project config')
    .description('run the HTTP server (POST /ingest/<topic>, GET /query/<view>, /metrics, /api/, /openapi.json, /health) until Ctrl-C')
    .option('-p, --port <port>', 'port (default: server.port; 0: any free port)', port)
    .action(async (modules: string[], _o, command: Command) => {
      const options = command.optsWithGlobals<ServeOptions>();
      const loaded = await ctx.loadConfig(options);
      const logger = await ctx.logger(loaded);
      const pipelines = await loadPipelines(modules, loaded, ctx.io.cwd);
      const { openRuntime } = await import('../../runtime/runtime.ts');
      const { startPipelineServer } = await import('../../runtime/pipeline-server.ts');
      const runtime = await openRuntime(loaded.config, { cwd: ctx.io.cwd, logger, areas: ['log', 'metrics', 'lake'] });
      try {
        const server = await startPipelineServer(runtime, pipelines.map((l) => l.pipeline), { parts: [], ...(options.port === undefined ? {} : { port: options.port }) });
        const topics = pipelines.flatMap((l) => l.pipeline.topics.filter((t) => t.ingest).map((t) => t.name));
        ctx.io.stdout.write(`serving on ${server.url} (ingest API: POST ${server.url}/ingest/<topic> for ${topics.join(', ') || 'no topics'}; ${server.url}/openapi.json); Ctrl-C stops\n`);
        try {
          await new Promise<void>((resolve) => {
            if (!ctx.io.signal || ctx.io.signal.aborted) return resolve();
            ctx.io.signal.addEventListener('abort', () => resolve(), { once: true });
          });
        } finally {
          await server.close();
        }
        ctx.io.stdout.write('server stopped\n');
      } finally {
        await runtime.close();
      }
    });
}
