/**
 * A second worker process for the stream benchmark's `stateless-processes` case: it runs the same
 * stateless job (same consumer group) on the Kafka at TRIBUTARY_KAFKA_BROKERS, so the group splits
 * the partitions between it and the benchmark's own process, as two `tributary worker` processes
 * would. Spawned with IPC by bench/stream.ts; the job's names come in BENCH_STREAM_NAMES (JSON).
 *
 * Messages: it sends `{ ready: true }` once loaded, starts the job on `go`, stops it on `stop`, and
 * then sends `{ cpuUs }`, its CPU time (all threads) from `go` until the job ended.
 */
import { openKafkaLog } from '../src/log/kafka/kafka-log.ts';
import { runStreamJob } from '../src/stream/runner.ts';
import { cards } from './stream-jobs.ts';

interface Names {
  input: string;
  cards: string;
  stateless: string;
}

const names = JSON.parse(process.env.BENCH_STREAM_NAMES ?? '{}') as Partial<Names>;
const brokers = process.env.TRIBUTARY_KAFKA_BROKERS;
if (!brokers || !names.input || !names.cards || !names.stateless) throw new Error('bench/stream-process.ts needs TRIBUTARY_KAFKA_BROKERS and BENCH_STREAM_NAMES (input, cards, stateless)');
if (!process.send) throw new Error('bench/stream-process.ts is spawned by bench/stream.ts with an IPC channel');

const log = await openKafkaLog({ brokers: brokers.split(',') });
const controller = new AbortController();
let job: Promise<unknown> | undefined;
let cpu: NodeJS.CpuUsage | undefined;
process.on('message', (message: string) => {
  if (message === 'go') {
    cpu = process.cpuUsage();
    job = runStreamJob({ name: names.stateless!, pipeline: cards(names.input), output: { kind: 'topic', topic: names.cards! } }, { log, signal: controller.signal });
  } else if (message === 'stop') {
    controller.abort();
    void (async () => {
      await job;
      const used = process.cpuUsage(cpu);
      await log.close();
      process.send!({ cpuUs: used.user + used.system }, () => process.disconnect());
    })();
  }
});
process.send({ ready: true });
