import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Listing } from '../../../src/sources/scraper/listing.ts';
import { fingerprintNamespace } from '../../../src/sources/scraper/scraper.ts';
import { openRedisStateStore } from '../../../src/state/redis/redis-state.ts';
import type { StateStore } from '../../../src/state/state.ts';
import { endpoint, uniqueName } from '../../support/services.ts';
import { sourceFixture, values } from '../http/source-fixture.ts';
import { kijiji, scraper } from './scraper-fixture.ts';

const url = endpoint('TRIBUTARY_REDIS_URL');
const admin = new Redis(url, { maxRetriesPerRequest: 2 });
afterAll(() => admin.quit());

/** A key prefix of this test's own, whose keys are deleted when the test ends. */
function testPrefix(): string {
  const prefix = `${uniqueName('scraper')}:`;
  onTestFinished(async () => {
    for await (const keys of admin.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await admin.del(...keys);
    }
  });
  return prefix;
}

describe('scraper fingerprints on Redis', () => {
  it('should dedup across a restart and emit only price changes, with fingerprints kept in Redis', async () => {
    const keyPrefix = testPrefix();
    const site = await kijiji({ pages: 2 });
    const open = (): Promise<StateStore> => openRedisStateStore({ url, keyPrefix });
    const fixture = await sourceFixture({ state: await open() });

    expect(await scraper(fixture.ctx, site.startUrl).poll(AbortSignal.timeout(60_000))).toEqual({ emitted: 90, skipped: 0, rejected: 0 });
    const hashes = await admin.keys(`${keyPrefix}*`);
    expect(hashes.length).toBeGreaterThan(0);
    expect(await fixture.ctx.state.entries(fingerprintNamespace('kijiji'))).toHaveLength(90);

    // Restart: a new connection to the same Redis keys.
    await fixture.ctx.state.close();
    fixture.ctx.state = await open();
    const changed = site.listingIds(2)[5]!;
    site.setPrice(changed, 250_000);
    expect(await scraper(fixture.ctx, site.startUrl).poll(AbortSignal.timeout(60_000))).toEqual({ emitted: 1, skipped: 89, rejected: 0 });
    const last = values<Listing>(await fixture.readTopic('listings')).at(-1)!;
    expect([last.id, last.priceCents, last.change]).toEqual([changed, 250_000, 'updated']);
  });
});
