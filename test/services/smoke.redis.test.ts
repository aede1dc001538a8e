import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { endpoint, uniqueName } from '../support/services.ts';

describe('Redis smoke test', () => {
  const redis = new Redis(endpoint('TRIBUTARY_REDIS_URL'), { lazyConnect: false, maxRetriesPerRequest: 2 });
  const prefix = `${uniqueName('smoke')}:`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('should round-trip strings, binary values, hashes and a pipeline', async () => {
    const binary = Buffer.from([0, 255, 10, 13, 128]);
    await redis.set(`${prefix}text`, 'héllo ✓');
    await redis.set(`${prefix}bytes`, binary);
    await redis.hset(`${prefix}hash`, { a: '1', b: '2' });
    expect(await redis.get(`${prefix}text`)).toBe('héllo ✓');
    expect(await redis.getBuffer(`${prefix}bytes`)).toEqual(binary);
    expect(await redis.hgetall(`${prefix}hash`)).toEqual({ a: '1', b: '2' });

    const pipeline = redis.pipeline();
    for (let i = 0; i < 1_000; i++) pipeline.incrby(`${prefix}counter`, i);
    const results = await pipeline.exec();
    expect(results?.every(([error]) => error === null)).toBe(true);
    expect(await redis.get(`${prefix}counter`)).toBe(String((999 * 1000) / 2));
  });

  it('should set a value only when absent (the fingerprint check)', async () => {
    expect(await redis.set(`${prefix}seen`, 'v1', 'EX', 60, 'NX')).toBe('OK');
    expect(await redis.set(`${prefix}seen`, 'v2', 'EX', 60, 'NX')).toBeNull();
    expect(await redis.get(`${prefix}seen`)).toBe('v1');
  });
});
