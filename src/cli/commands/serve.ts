/**
 * `tributary serve`: the HTTP server with the ingest API (src/serve/), on server.host and
 * server.port, until Ctrl-C. The topics it accepts are those registered in `ingestTopics` below.
 */
import { Command } from 'commander';
import { pinterestTopics } from '../../demo/pinterest.ts';
import { ingestRoutes } from '../../serve/ingest/ingest-routes.ts';
import { queryServerPlugin } from '../../serve/query/views.ts';
import type { TopicRegistry } from '../../serve/ingest/topics.ts';
import { createServer, listen, serverPlugin } from '../../serve/server.ts';
import type { CliContext, GlobalOptions } from '../context.ts';
import { packageVersion } from '../program.ts';
import { port } from './demo.ts';

/** The topics the ingest API accepts, with their schemas. */
export const ingestTopics: TopicRegistry = { ...pinterestTopics };

interface ServeOptions extends GlobalOptions {
  port?: number;
}

export function serveCommand(ctx: CliContext): Command {
  return new Command('serve')
    .description('run the HTTP server (ingest API: POST /ingest/<topic>, GET /openapi.json, GET /health) until Ctrl-C')
    .option('-p, --port <port>', 'port (default: server.port; 0: any free port)', port)
    .action((_o, command: Command) => {
      const options = command.optsWithGlobals<ServeOptions>();
      return ctx.withLog(options, async (log, loaded) => {
        const { server } = loaded.config;
        const logger = await ctx.logger(loaded);
        const app = createServer({
          server,
          logger,
          plugins: [serverPlugin(ingestRoutes, { log, topics: ingestTopics, apiKeyRequired: server.apiKey !== undefined, maxRecordsPerRequest: server.maxRecordsPerRequest, version: packageVersion() }), queryServerPlugin(loaded.config, { cwd: ctx.io.cwd })],
        });
        const url = await listen(app, server.host, options.port ?? server.port);
        ctx.io.stdout.write(`serving on ${url} (ingest API: POST ${url}/ingest/<topic>; ${url}/openapi.json); Ctrl-C stops\n`);
        try {
          await new Promise<void>((resolve) => {
            if (!ctx.io.signal || ctx.io.signal.aborted) return resolve();
            ctx.io.signal.addEventListener('abort', () => resolve(), { once: true });
          });
        } finally {
          await app.close();
        }
        ctx.io.stdout.write('server stopped\n');
      });
    });
}
