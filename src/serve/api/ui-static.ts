/**
 * The web UI's files (the Vite build in `dist/ui`), served at `/` by @fastify/static. The files are
 * public routes: they hold no data, and the page itself asks for the API key when `/api/` answers
 * 401, so a server with a key set still opens the UI in a browser. Everything the page shows comes
 * through `/api/`, behind the key.
 *
 * When no build is found (a checkout where `npm run build` has not run), `/` says how to make one.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { body } from '../server.ts';

/** Where the build is: beside the compiled server (`dist/serve/api` → `dist/ui`), or under `dist/` when running from `src/`. */
export function uiRoot(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../ui'), path.resolve(here, '../../../dist/ui')];
  // The build's manifest, not index.html: src/ui has an index.html too (the build's input).
  return candidates.find((dir) => existsSync(path.join(dir, '.vite', 'manifest.json')));
}

export interface UiStaticOptions extends Record<string, unknown> {
  /** The build's directory; default `uiRoot()`. */
  root?: string;
}

export const uiStatic: FastifyPluginAsync<UiStaticOptions> = async (app, options) => {
  const root = options.root ?? uiRoot();
  if (root === undefined) {
    app.get('/', { config: { public: true } }, (_request, reply) =>
      reply.code(503).send(body(503, 'UI_NOT_BUILT', 'the web UI is not built: run `npm run build` (npm ci runs it) to make dist/ui')),
    );
    return;
  }
  await app.register(fastifyStatic, { root, serve: false });
  const page = { config: { public: true } };
  app.get('/', page, (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'));
  // Hashed file names: cached for good.
  app.get<{ Params: { '*': string } }>('/assets/*', page, (request, reply) => reply.header('cache-control', 'public, max-age=31536000, immutable').sendFile(`assets/${request.params['*']}`));
};
