/** A lake with a small archived topic in it, for the `lake ls` tests on fs and on MinIO. */
import { runArchiver } from '../../src/batch/archiver.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';

const HOUR = 3_600_000;
export const T0 = Date.UTC(2026, 10, 21, 9);

/** Archives 300 records of topic `pins` (2 partitions, two event-time hours) into `lake`; returns how many rows each hour got. */
export async function archiveSample(lake: Lake, logDir: string): Promise<Record<string, number>> {
  const log = await openEmbeddedLog({ dir: logDir, fsync: { mode: 'never' } });
  await log.admin().createTopic('pins', { partitions: 2 });
  const producer = log.producer();
  const records = Array.from({ length: 300 }, (_, i) => ({ topic: 'pins', key: Buffer.from(`k${i}`), value: Buffer.from(JSON.stringify({ category: 'art', i })), timestamp: T0 + (i % 2) * HOUR }));
  await producer.send(records);
  await producer.close();
  const stop = new AbortController();
  let rows = 0;
  await runArchiver({ log, lake, topics: ['pins'], rollMs: 100, signal: stop.signal, onFile: (f) => (rows += f.rows) >= 300 && stop.abort() });
  await log.close();
  return { 'dt=2026-11-21/hr=09': 150, 'dt=2026-11-21/hr=10': 150 };
}
