import { describe, expect, it } from 'vitest';
import type { QueryResult } from '../../../src/serve/query/view.ts';
import { startServe, tempDir } from '../../support/cli.ts';

describe('GET /query/<view> on tributary serve', () => {
  it("should answer the loaded pipeline's views behind the API key, and close them with the server", async () => {
    const cwd = await tempDir();
    const server = await startServe(cwd, { TRIBUTARY_SERVER_API_KEY: 'key-1' });
    const base = server.base;
    expect((await fetch(`${base}/query/posts-per-category`)).status).toBe(401);
    const answer = await fetch(`${base}/query/posts-per-category`, { headers: { authorization: 'Bearer key-1' } });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as QueryResult;
    // Nothing produced yet: no rows, no batch view, nothing covered.
    expect(body).toMatchObject({ view: 'posts-per-category', columns: ['category', 'posts'], rows: [], asOf: { topic: 'pinterest.pins', covered: {}, batch: { computed: null } } });
    expect((await fetch(`${base}/query/nope`, { headers: { authorization: 'Bearer key-1' } })).status).toBe(404);
    const stopped = await server.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('server stopped');
  });
});
