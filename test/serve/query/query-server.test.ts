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
    // As of a snapshot: a value that is none is a 400 naming the parameter; a snapshot of a table the lake does not hold, a 404.
    const bad = await fetch(`${base}/query/posts-per-category?asOf=soon`, { headers: { authorization: 'Bearer key-1' } });
    expect(bad.status).toBe(400);
    const badBody = (await bad.json()) as { code: string; message: string };
    expect(badBody.code).toBe('QUERY_INVALID');
    expect(badBody.message).toContain('parameter "asOf"');
    const none = await fetch(`${base}/query/posts-per-category?asOf=3`, { headers: { authorization: 'Bearer key-1' } });
    expect(none.status).toBe(404);
    const noneBody = (await none.json()) as { code: string; message: string };
    expect(noneBody.code).toBe('LAKE_NOT_FOUND');
    expect(noneBody.message).toContain('processed.pinterest_pins');
    const stopped = await server.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('server stopped');
  });
});
