/** Open the state store the config names. Each backend's module (and driver) is loaded only when chosen. */
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { TributaryError } from '../errors.ts';
import type { StateStore } from './state.ts';

export interface OpenStateOptions {
  /** Resolves a relative `dataDir`; default: the working directory. */
  cwd?: string;
}

export async function openStateStore(config: Readonly<Config>, options: OpenStateOptions = {}): Promise<StateStore> {
  if (config.state.backend === 'redis') {
    const { url, password, keyPrefix } = config.redis;
    // The schema requires redis.url for this backend; a config built around it is a bug.
    if (url === undefined) throw new TributaryError('CONFIG_INVALID', 'redis.url is required when state.backend is "redis"');
    const { openRedisStateStore } = await import('./redis/redis-state.ts');
    return openRedisStateStore({ url, keyPrefix, ...(password === undefined ? {} : { password }) });
  }
  const { openEmbeddedStateStore } = await import('./embedded/embedded-state.ts');
  return openEmbeddedStateStore({ file: path.resolve(options.cwd ?? process.cwd(), config.dataDir, 'state.sqlite') });
}
