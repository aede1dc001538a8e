import { describe, expect, it } from 'vitest';
import { openEmbeddedLog } from '../../../src/log/embedded/embedded-log.ts';
import { offsetForTime } from '../../../src/serve/api/offset-for-time.ts';
import { readRange } from '../../../src/serve/api/log-view.ts';
import { tempDir } from '../../support/cli.ts';

const T0 = Date.UTC(2026, 11, 3, 10);

describe('one partition of a topic whose other partitions keep growing', () => {
  it('offsetForTime and readRange should answer from the partition asked for, whatever arrives in the others', async () => {
    const log = await openEmbeddedLog({ dir: `${await tempDir()}/log`, fsync: { mode: 'never' } });
    await log.admin().createTopic('pins', { partitions: 3 });
    const producer = log.producer();
    // Partition 2: 100 records a second apart.
    await producer.send(Array.from({ length: 100 }, (_, i) => ({ topic: 'pins', partition: 2, key: null, value: Buffer.from(`{"i":${i}}`), timestamp: T0 + i * 1000 })));
    // Partitions 0 and 1: a record every few milliseconds, all the while.
    let noise = true;
    let sent = 0;
    const noisy = (async () => {
      while (noise) {
        await producer.send([0, 1].map((partition) => ({ topic: 'pins', partition, key: null, value: Buffer.from('{}'), timestamp: Date.now() })));
        sent += 2;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    try {
      const admin = log.admin();
      const bounds = (await admin.describeTopic('pins')).partitions.find((p) => p.partition === 2)!;
      await admin.close();
      for (const i of [0, 1, 37, 98, 99]) {
        expect(await offsetForTime(log, 'pins', bounds, T0 + i * 1000 - 500), `record ${i}`).toBe(i);
      }
      expect(await offsetForTime(log, 'pins', bounds, T0 + 100 * 1000)).toBe(100);
      const page = await readRange(log, { topic: 'pins', from: 'latest', partitions: [2], offsets: { 2: 90 }, max: 5 });
      expect(page.records.map((r) => [r.partition, r.offset])).toEqual([90, 91, 92, 93, 94].map((o) => [2, o]));
      expect(Object.keys(page.next)).toEqual(['2']);
      expect(sent).toBeGreaterThan(0);
    } finally {
      noise = false;
      await noisy;
      await producer.close();
      await log.close();
    }
  });
});
