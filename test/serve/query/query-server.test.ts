import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run.ts';
import type { QueryResult } from '../../../src/serve/query/view.ts';
import { tempDir } from '../../support/cli.ts';

describe('GET /query/<view> on tributary serve', () => {
  it('should answer the built-in views behind the API key, and close them with the server', async () => {
    const cwd = await tempDir();
    const interrupt = new AbortController();
    let out = '';
    let announced: (url: string) => void;
    const url = new Promise<string>((resolve) => (announced = resolve));
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        const match = /serving on (http:\/\/\S+) /.exec(out);
        if (match) announced(match[1]!);
        done();
      },
    });
    const stderr = new Writable({ write: (_chunk, _encoding, done) => done() });
    const exit = runCli(['serve', '--port', '0', '--log-level', 'warn'], { stdin: Readable.from(['']), stdout, stderr, env: { TRIBUTARY_SERVER_API_KEY: 'key-1' }, cwd, signal: interrupt.signal });
    const base = await url;
    expect((await fetch(`${base}/query/posts-per-category`)).status).toBe(401);
    const answer = await fetch(`${base}/query/posts-per-category`, { headers: { authorization: 'Bearer key-1' } });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as QueryResult;
    // Nothing produced yet: no rows, no batch view, nothing covered.
    expect(body).toMatchObject({ view: 'posts-per-category', columns: ['category', 'posts'], rows: [], asOf: { topic: 'pinterest.pins', covered: {}, batch: { computed: null } } });
    expect((await fetch(`${base}/query/nope`, { headers: { authorization: 'Bearer key-1' } })).status).toBe(404);
    interrupt.abort();
    expect(await exit).toBe(0);
    expect(out).toContain('server stopped');
  });
});
