/** What the HTTP source tests share: an embedded log and state store in a temp dir, and a logger whose warnings can be read. */
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
import { isTributaryError } from '../../../src/errors.ts';
import { openEmbeddedLog } from '../../../src/log/embedded/embedded-log.ts';
import type { Log, LogRecord } from '../../../src/log/log.ts';
import type { SourceContext } from '../../../src/sources/source.ts';
import { openEmbeddedStateStore } from '../../../src/state/embedded/embedded-state.ts';
import type { StateStore } from '../../../src/state/state.ts';
import { pollUntil } from '../../log/log-contract.ts';
import { tempDir } from '../../support/cli.ts';

export interface SourceFixture {
  log: Log;
  ctx: SourceContext;
  /** Messages of the warnings logged so far. */
  warnings: string[];
  /** Close the state store and open it again from its file, as a restarted process would. */
  reopenState(): Promise<StateStore>;
  /** Every record in a topic so far ([] when the topic does not exist). */
  readTopic(topic: string): Promise<LogRecord[]>;
}

export async function sourceFixture(options: { state?: StateStore } = {}): Promise<SourceFixture> {
  const dir = await tempDir('tributary-source-');
  // One partition per topic, so records read back in the order they were sent.
  const log = await openEmbeddedLog({ dir: path.join(dir, 'log'), fsync: { mode: 'interval', ms: 5 }, defaultPartitions: 1 });
  const stateFile = path.join(dir, 'state.sqlite');
  const warnings: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) warnings.push((JSON.parse(line) as { msg: string }).msg);
      done();
    },
  });
  const ctx: SourceContext = {
    log,
    state: options.state ?? (await openEmbeddedStateStore({ file: stateFile })),
    logger: pino({ level: 'warn' }, destination),
  };
  onTestFinished(async () => {
    await ctx.state.close();
    await log.close();
  });
  let groups = 0;
  return {
    log,
    ctx,
    warnings,
    async reopenState() {
      await ctx.state.close();
      ctx.state = await openEmbeddedStateStore({ file: stateFile });
      return ctx.state;
    },
    async readTopic(topic) {
      let expected: number;
      const admin = log.admin();
      try {
        const description = await admin.describeTopic(topic);
        expected = description.partitions.reduce((sum, partition) => sum + partition.endOffset - partition.startOffset, 0);
      } catch (error) {
        if (isTributaryError(error, 'TOPIC_NOT_FOUND')) return [];
        throw error;
      } finally {
        await admin.close();
      }
      groups += 1;
      const consumer = log.consumer({ group: `read-${groups}`, topics: [topic] });
      try {
        return await pollUntil(consumer, (all) => all.length >= expected);
      } finally {
        await consumer.close();
      }
    },
  };
}

export function values<T>(records: LogRecord[]): T[] {
  return records.map((record) => JSON.parse(record.value!.toString('utf8')) as T);
}

export function header(record: LogRecord, name: string): string | undefined {
  return record.headers[name]?.toString('utf8');
}
