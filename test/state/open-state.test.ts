import { access } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { openStateStore } from '../../src/state/open-state.ts';
import { tempDir } from '../support/cli.ts';

describe('openStateStore', () => {
  it('should open the embedded store in <dataDir>/state.sqlite under the working directory', async () => {
    const cwd = await tempDir();
    const store = await openStateStore(configSchema.parse({ dataDir: 'data/here' }), { cwd });
    try {
      expect(store.backend).toBe('embedded');
      await store.commit('ns', new Map([['a', Buffer.from('1')]]));
    } finally {
      await store.close();
    }
    await access(path.join(cwd, 'data', 'here', 'state.sqlite'));
    const reopened = await openStateStore(configSchema.parse({ dataDir: path.join(cwd, 'data', 'here') }));
    try {
      expect((await reopened.get('ns', 'a'))?.toString()).toBe('1');
    } finally {
      await reopened.close();
    }
  });
});
