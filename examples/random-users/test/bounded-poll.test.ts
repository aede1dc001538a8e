/** The bounded poll against the example's emulator: pages in order while the period lasts, nothing after it. */
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openEmbeddedLog } from '../../../src/log/embedded/embedded-log.ts';
import { openEmbeddedStateStore } from '../../../src/state/embedded/embedded-state.ts';
import { tempDir } from '../../../test/support/cli.ts';
import { boundedPoll, boundedPollConfigSchema } from '../bounded-poll.ts';
import { emulatedUser, startRandomUserEmulator } from '../emulator.ts';

describe('the bounded randomuser poll', () => {
  it('should fetch the next page on each poll until its period is over, then fetch nothing', async () => {
    const dir = await tempDir();
    const log = await openEmbeddedLog({ dir: path.join(dir, 'log') });
    const state = await openEmbeddedStateStore({ file: path.join(dir, 'state.sqlite') });
    const server = await startRandomUserEmulator();
    onTestFinished(async () => {
      await server.close();
      await state.close();
      await log.close();
    });
    let now = 0;
    const config = boundedPollConfigSchema.parse({ name: 'poll', url: server.apiUrl, query: { results: '3', seed: 's' }, paging: { param: 'page' }, topic: 'users', records: 'results', key: 'login.uuid', durationMs: 1000, rateLimit: { requestsPerSecond: 1000, burst: 10 } });
    const source = boundedPoll({ clock: () => now }).create(config, { log, state, logger: pino({ level: 'silent' }) });
    const signal = new AbortController().signal;
    const results = [];
    for (const at of [0, 400, 999, 1000, 5000]) {
      now = at;
      results.push(await source.poll(signal));
    }
    await source.close();
    expect(results.map((r) => [r.emitted, r.done])).toEqual([[3, false], [3, false], [3, false], [0, true], [0, true]]);

    const consumer = log.consumer({ group: 'check', topics: ['users'] });
    const keys: string[] = [];
    for (let empty = 0; keys.length < 9 && empty < 5; ) {
      const batch = await consumer.poll(200);
      if (batch.length === 0) empty += 1;
      keys.push(...batch.map((r) => r.key?.toString('utf8') ?? ''));
    }
    await consumer.close();
    const expected = [1, 2, 3].flatMap((page) => [0, 1, 2].map((i) => (emulatedUser('s', page, i).login as { uuid: string }).uuid));
    expect(keys.sort()).toEqual(expected.sort());
  });

  it('should refuse a period that is not a positive number of milliseconds, naming the setting', () => {
    const result = boundedPollConfigSchema.safeParse({ name: 'poll', url: 'http://127.0.0.1:1/api/', topic: 'users', durationMs: 0 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['durationMs']);
  });
});
