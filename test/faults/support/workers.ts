/**
 * Two `tributary worker` processes running the Pinterest example's stream job on Kafka into
 * PostgreSQL, with the test producing pins straight to the topic, and the check of the table against
 * the topic.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openKafkaLog } from '../../../src/log/kafka/kafka-log.ts';
import type { Log, LogConsumer, LogProducer } from '../../../src/log/log.ts';
import { startCliProcess, type WorkerProcess } from '../../support/worker-process.ts';
import { expectSinkMatchesLog } from './check.ts';
import { PINTEREST_DIR } from './pins.ts';
import { until } from './until.ts';

export const TOPIC = 'pinterest.pins';

export interface WorkerSet {
  workers: WorkerProcess[];
  restart(i: number): Promise<void>;
  produce(pins: readonly Record<string, unknown>[]): Promise<void>;
  /** Waits until the table holds every pin of the topic, then checks it against the topic. */
  expectConverged(acknowledged: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export async function startWorkers(serviceEnv: Record<string, string>): Promise<WorkerSet> {
  const env = {
    ...serviceEnv,
    TRIBUTARY_LOG_BACKEND: 'kafka',
    TRIBUTARY_SINKS_BACKEND: 'postgres',
    TRIBUTARY_KAFKA_SESSION_TIMEOUT_MS: '6000',
    TRIBUTARY_LOGGING_LEVEL: 'warn',
  };
  const brokers = serviceEnv.TRIBUTARY_KAFKA_BROKERS!.split(',');
  const log: Log = await openKafkaLog({ brokers });
  const admin = log.admin();
  if (!(await admin.listTopics()).includes(TOPIC)) await admin.createTopic(TOPIC, { partitions: 4 });
  await admin.close();
  let producer: LogProducer = log.producer();
  const start = async () => {
    const worker = startCliProcess(['worker', PINTEREST_DIR, '--progress-ms', '500', '--data-dir', await mkdtemp(path.join(tmpdir(), 'tributary-worker-'))], env, undefined, { outlive: true });
    await worker.seen(/worker \d+: running/, 90_000);
    return worker;
  };
  const workers = [await start(), await start()];
  const db = () => new pg.Client({ connectionString: serviceEnv.TRIBUTARY_POSTGRES_URL });

  // One reader kept across checks, so that a check does not pay for joining a group; made anew
  // (from the start of the topic) when Kafka went away under it.
  let reader: { log: Log; consumer: LogConsumer; values: unknown[] } | undefined;
  const readAll = async (): Promise<unknown[]> => {
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        if (!reader) {
          const readerLog = await openKafkaLog({ brokers });
          reader = { log: readerLog, consumer: readerLog.consumer({ group: `faults-check-${process.pid}-${Date.now()}`, topics: [TOPIC], from: 'earliest' }), values: [] };
        }
        const described = await log.admin().describeTopic(TOPIC);
        const want = described.partitions.reduce((n, p) => n + (p.endOffset - p.startOffset), 0);
        while (reader.values.length < want) {
          if (Date.now() > deadline) throw new Error(`read ${reader.values.length} of the topic's ${want} records`);
          for (const r of await reader.consumer.poll(1_000)) reader.values.push(JSON.parse(r.value!.toString('utf8')));
        }
        return [...reader.values];
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await reader?.consumer.close().catch(() => undefined);
        await reader?.log.close().catch(() => undefined);
        reader = undefined;
      }
    }
  };

  return {
    workers,
    async restart(i) {
      workers[i]!.kill('SIGKILL');
      await workers[i]!.exited;
      workers[i] = await start();
    },
    async produce(pins) {
      // A producer whose broker went away is made anew; each pin is sent until acknowledged.
      await until('the pins to be acknowledged by Kafka', async () => {
        try {
          await producer.send(pins.map((p) => ({ topic: TOPIC, key: Buffer.from(String(p.unique_id)), value: Buffer.from(JSON.stringify(p)) })));
          return true;
        } catch {
          await producer.close().catch(() => undefined);
          producer = log.producer();
          return undefined;
        }
      }, 120_000);
    },
    async expectConverged(acknowledged) {
      const logValues = await readAll();
      const ids = async () => {
        const client = db();
        await client.connect();
        try {
          return (await client.query<{ unique_id: string }>('SELECT unique_id FROM pinterest_pins')).rows.map((r) => r.unique_id);
        } finally {
          await client.end();
        }
      };
      try {
        await until(`the table to hold the topic's ${logValues.length} pins`, async () => ((await ids()).length >= logValues.length ? true : undefined), 120_000);
      } catch (error) {
        const tails = workers.map((w, i) => `worker ${i} (pid ${w.pid}):\n${w.output().stdout.split('\n').slice(-6).join('\n')}\n${w.output().stderr.slice(-3_000)}`);
        throw new Error(`${(error as Error).message}; the table has ${(await ids()).length}\n${tails.join('\n')}`, { cause: error });
      }
      expectSinkMatchesLog({ logValues, sinkIds: await ids(), acknowledged });
    },
    async close() {
      for (const w of workers) w.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      await producer.close().catch(() => undefined);
      await reader?.consumer.close().catch(() => undefined);
      await reader?.log.close().catch(() => undefined);
      await log.close();
    },
  };
}
