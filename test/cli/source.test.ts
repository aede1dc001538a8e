import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { runCli } from '../../src/cli/run.ts';
import type { LogRecord } from '../../src/log/log.ts';
import { openLog } from '../../src/log/open-log.ts';
import { startKijijiServer } from '../../src/sources/emulators/kijiji-server.ts';
import { startRandomuserServer } from '../../src/sources/emulators/randomuser-server.ts';
import { pollUntil } from '../log/log-contract.ts';
import { cli, tempDir } from '../support/cli.ts';

const fast = { rateLimit: { requestsPerSecond: 1000, burst: 10 }, retry: { maxAttempts: 2, baseDelayMs: 1 } };

/** Every record of `topic` in the embedded log under `cwd`'s data dir. */
async function readTopic(cwd: string, topic: string): Promise<LogRecord[]> {
  const { config } = await loadConfig({ cwd, env: {} });
  const log = await openLog(config, { cwd });
  try {
    const admin = log.admin();
    const description = await admin.describeTopic(topic).finally(() => admin.close());
    const expected = description.partitions.reduce((sum, p) => sum + p.endOffset - p.startOffset, 0);
    const consumer = log.consumer({ group: 'source-test-reader', topics: [topic] });
    try {
      return await pollUntil(consumer, (all) => all.length >= expected);
    } finally {
      await consumer.close();
    }
  } finally {
    await log.close();
  }
}

describe('tributary source', () => {
  it('list should print one line per kind', async () => {
    const { code, stdout } = await cli(['source', 'list']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^kind\s+writes to\s+description$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual(['ckan', 'db-extract', 'ecommerce-emulator', 'generator', 'http-poll', 'scraper']);
    expect(stdout).toMatch(/ckan\s+lake\s+download a CKAN package/);
  });

  it('run http-poll should poll the randomuser emulator N times into the embedded log, one progress line per poll', async () => {
    const server = await startRandomuserServer();
    onTestFinished(() => server.close());
    const cwd = await tempDir();
    await writeFile(
      path.join(cwd, 'users.yaml'),
      [
        'name: users',
        `url: ${server.apiUrl}`,
        'query: { results: "10", seed: tributary }',
        'topic: users.raw',
        'records: results',
        'key: login.uuid',
        'paging: { param: page }',
        'rateLimit: { requestsPerSecond: 1000, burst: 10 }',
      ].join('\n'),
    );
    const run = await cli(['source', 'run', 'http-poll', '--file', 'users.yaml', '--interval', '10', '--times', '3'], { cwd });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('source users (http-poll): polling every 10 ms into the embedded log (at most: 3 polls); Ctrl-C stops');
    expect(lines.slice(1, 4)).toEqual([
      'poll 1: emitted 10, skipped 0, rejected 0 | total: polls 1, emitted 10, skipped 0, rejected 0',
      'poll 2: emitted 10, skipped 0, rejected 0 | total: polls 2, emitted 20, skipped 0, rejected 0',
      'poll 3: emitted 10, skipped 0, rejected 0 | total: polls 3, emitted 30, skipped 0, rejected 0',
    ]);
    expect(lines[4]).toMatch(/^source users: stopped after 3 polls in [\d.]+ s: 30 emitted, 0 skipped, 0 rejected, 0 failed$/);
    expect(server.requests.map((r) => new URL(r.url, server.url).searchParams.get('page'))).toEqual(['1', '2', '3']);

    const records = await readTopic(cwd, 'users.raw');
    const expected = server.users.slice(0, 30) as { login: { uuid: string } }[];
    expect(records.map((r) => r.key?.toString()).sort()).toEqual(expected.map((u) => u.login.uuid).sort());
    const byKey = new Map(records.map((r) => [r.key?.toString(), JSON.parse(r.value!.toString('utf8')) as unknown]));
    expect(byKey.get(expected[17]!.login.uuid)).toEqual(expected[17]);

    // A second run resumes at page 4 from the progress in the embedded state store.
    const again = await cli(['source', 'run', 'http-poll', '-f', 'users.yaml', '--interval', '10', '--times', '1'], { cwd });
    expect(again.code).toBe(0);
    expect(server.requests.at(-1)?.url).toContain('page=4');
    expect(await readTopic(cwd, 'users.raw')).toHaveLength(40);
  });

  it('run scraper twice should emit every ad once: the second run finds the fingerprints in the embedded state and emits 0', async () => {
    const server = await startKijijiServer({ pages: 2 });
    onTestFinished(() => server.close());
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'kijiji.json'), JSON.stringify({ name: 'kijiji', startUrl: server.startUrl, topic: 'listings.raw', maxPages: 2, ...fast }));
    const args = ['source', 'run', 'scraper', '--file', 'kijiji.json', '--times', '1', '--log-level', 'error'];
    const first = await cli(args, { cwd });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('poll 1: emitted 90, skipped 0, rejected 0 |');
    const second = await cli(args, { cwd });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('poll 1: emitted 0, skipped 90, rejected 0 |');
    const records = await readTopic(cwd, 'listings.raw');
    expect(new Set(records.map((r) => r.key?.toString()))).toEqual(new Set([...server.listingIds(1), ...server.listingIds(2)]));
  });

  it('run should stop cleanly on Ctrl-C between polls and print the totals', async () => {
    const server = await startRandomuserServer();
    onTestFinished(() => server.close());
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'users.json'), JSON.stringify({ name: 'u', url: server.apiUrl, topic: 'u', records: 'results', key: 'login.uuid', ...fast }));
    const interrupt = new AbortController();
    let out = '';
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        if (out.includes('poll 2:')) interrupt.abort();
        done();
      },
    });
    const stderr = new Writable({ write: (_chunk, _encoding, done) => done() });
    const started = Date.now();
    const code = await runCli(['source', 'run', 'http-poll', '-f', 'users.json', '--interval', '50'], { stdin: Readable.from(['']), stdout, stderr, env: {}, cwd, signal: interrupt.signal });
    expect(code).toBe(0);
    // An interrupt that did not work would run until the test's timeout; this bound only makes that failure clear.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(out).toMatch(/source u: interrupted after 2 polls in [\d.]+ s: 2 emitted, 0 skipped, 0 rejected, 0 failed\n$/);
    expect(await readTopic(cwd, 'u')).toHaveLength(2);
  });

  it('run should name the file and each bad field of an invalid config, and exit 2', async () => {
    const cwd = await tempDir();
    await writeFile(path.join(cwd, 'bad.json'), JSON.stringify({ name: 'x', url: 'not a url', topic: 't', rateLimit: { requestsPerSecond: 0 }, extra: true }));
    const { code, stderr } = await cli(['source', 'run', 'http-poll', '-f', 'bad.json'], { cwd });
    expect(code).toBe(2);
    expect(stderr).toContain(`error [CONFIG_INVALID]: invalid http-poll source config ${path.join(cwd, 'bad.json')}: `);
    expect(stderr).toContain('url: got "not a url", invalid URL');
    expect(stderr).toContain('rateLimit.requestsPerSecond: got 0, expected number to be >0');
    expect(stderr).toMatch(/extra: unknown setting, expected one of: name, url, query, topic/);

    await writeFile(path.join(cwd, 'db.yaml'), 'driver: mysql\nurl: mysql://u@127.0.0.1/db\ntable: orders\ncursor: id\ntopic: o\npassword: hunter2\n');
    const secret = await cli(['source', 'run', 'db-extract', '-f', 'db.yaml'], { cwd });
    expect(secret.code).toBe(2);
    expect(secret.stderr).toContain('password: secrets may not be written in a config file; set environment variable TRIBUTARY_SOURCE_PASSWORD');
    expect(secret.stderr).not.toContain('hunter2');

    const missing = await cli(['source', 'run', 'scraper', '-f', 'nope.yaml'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`error [CONFIG_FILE_NOT_FOUND]: source config file not found: ${path.join(cwd, 'nope.yaml')}`);
  });

  it('run should refuse an unknown kind, listing the known ones, and a missing --file', async () => {
    const unknown = await cli(['source', 'run', 'ftp', '-f', 'x.json']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(`error [CLI_USAGE]: no source or source kind "ftp"; the loaded pipelines' sources: (none); the kinds: ckan, db-extract, ecommerce-emulator, generator, http-poll, scraper\n`);
    const noFile = await cli(['source', 'run', 'scraper', '--config', 'kijiji.json']);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain("needs the source's config file: --file <file.json|.yaml> (--config kijiji.json is the Tributary config, not the source's)");
  });
});
