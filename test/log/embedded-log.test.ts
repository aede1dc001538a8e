import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { describeLogContract } from './log-contract.ts';

describeLogContract('embedded', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-log-'));
  return {
    open: (options) => openEmbeddedLog({ dir, fsync: { mode: 'interval', ms: 5 }, ...options }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
