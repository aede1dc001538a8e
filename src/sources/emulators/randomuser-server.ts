/**
 * A local stand-in for https://randomuser.me/api/ serving the real samples
 * (/work/shared/data/randomuser, see its SOURCES.md), with the failure injection of
 * http-emulator.ts.
 *
 * - `GET /api/` with no `results` (or `results=1`) and no `page`: the real single-user response.
 * - `GET /api/?results=N&page=P`: users (P-1)*N .. P*N-1 of the real 111-user response, so a seed
 *   plus a page number gives the same users every time, as the real API does; past the end, an
 *   empty `results` array.
 */
import { readFile } from 'node:fs/promises';
import { startHttpEmulator, type Fault, type InjectOptions, type RequestRecord } from './http-emulator.ts';

const SAMPLES = new URL('../../../../shared/data/randomuser/', import.meta.url);
export const RANDOMUSER_SINGLE = new URL('randomuser_api_v1.4_single.json', SAMPLES);
export const RANDOMUSER_111 = new URL('randomuser_api_v1.4_results111.json', SAMPLES);

interface Sample {
  results: unknown[];
  info: { seed: string; results: number; page: number; version: string };
}

export interface RandomuserServer {
  readonly url: string;
  /** `<url>/api/` */
  readonly apiUrl: string;
  readonly requests: RequestRecord[];
  /** The 111 users of the large sample, in order. */
  readonly users: readonly unknown[];
  inject(fault: Fault, options?: InjectOptions): void;
  close(): Promise<void>;
}

export async function startRandomuserServer(options: { port?: number } = {}): Promise<RandomuserServer> {
  const single = await readFile(RANDOMUSER_SINGLE, 'utf8');
  const many = JSON.parse(await readFile(RANDOMUSER_111, 'utf8')) as Sample;
  const emulator = await startHttpEmulator(
    (url) => {
      if (url.pathname !== '/api/' && url.pathname !== '/api') return { status: 404, body: '{"error":"not found"}', contentType: 'application/json' };
      const results = Number(url.searchParams.get('results') ?? '1');
      const page = url.searchParams.get('page');
      if (results === 1 && page === null) return { status: 200, body: single, contentType: 'application/json; charset=utf-8' };
      const pageNumber = Number(page ?? '1');
      if (!Number.isInteger(results) || results < 1 || !Number.isInteger(pageNumber) || pageNumber < 1) {
        return { status: 400, body: '{"error":"bad results or page"}', contentType: 'application/json' };
      }
      const slice = many.results.slice((pageNumber - 1) * results, pageNumber * results);
      const body = { results: slice, info: { ...many.info, seed: url.searchParams.get('seed') ?? many.info.seed, results: slice.length, page: pageNumber } };
      return { status: 200, body: JSON.stringify(body), contentType: 'application/json; charset=utf-8' };
    },
    { port: options.port },
  );
  return {
    url: emulator.url,
    apiUrl: `${emulator.url}/api/`,
    requests: emulator.requests,
    users: many.results,
    inject: (fault, inject) => emulator.inject(fault, inject),
    close: () => emulator.close(),
  };
}
