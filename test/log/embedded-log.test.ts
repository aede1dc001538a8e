import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { describeLogContract } from './log-contract.ts';

/** What the fixture reaches inside the embedded log: a partition's own retention. */
interface EmbeddedRetention {
  partition(topic: string, partition: number): { enforceRetention(ms: number | undefined, bytes: number | undefined, now: number): Promise<number> } | undefined;
}

describeLogContract('embedded', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-log-'));
  return {
    open: (options) => openEmbeddedLog({ dir, fsync: { mode: 'interval', ms: 5 }, ...options }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
    // Retention with a size limit of 0 removes every segment but the newest.
    deleteOldRecords: async (log, topic, partition) => {
      const retained = (log as unknown as EmbeddedRetention).partition(topic, partition);
      if (!retained) throw new Error(`no partition ${topic}/${partition}`);
      await retained.enforceRetention(undefined, 0, Date.now());
    },
  };
});
