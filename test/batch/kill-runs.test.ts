import { describe } from 'vitest';
import { fsFixture } from './batch-support.ts';
import { itSurvivesKills } from './kill-runs.ts';

describe('batch runs killed mid-way (embedded catalog, local directory)', () => {
  itSurvivesKills('embedded', async () => {
    const f = await fsFixture();
    return { f, env: { TRIBUTARY_DATA_DIR: f.dir }, shared: false };
  }, 20);
});
