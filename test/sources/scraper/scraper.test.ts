import { describe, expect, it, vi } from 'vitest';
import type { Listing } from '../../../src/sources/scraper/listing.ts';
import { fingerprintNamespace } from '../../../src/sources/scraper/scraper.ts';
import { rejection } from '../../support/errors.ts';
import { header, sourceFixture, values } from '../http/source-fixture.ts';
import { kijiji, scraper } from './scraper-fixture.ts';

const signal = () => AbortSignal.timeout(60_000);

describe('scraper source', () => {
  it('should follow pagination up to maxPages and emit every ad once as new', async () => {
    const site = await kijiji({ pages: 4 });
    const fixture = await sourceFixture();
    const result = await scraper(fixture.ctx, site.startUrl, { maxPages: 3 }).poll(signal());
    expect(result).toEqual({ emitted: 135, skipped: 0, rejected: 0 });
    expect(site.requests.map((r) => r.url)).toEqual([
      '/robots.txt',
      '/b-apartments-condos/city-of-toronto/c37l1700273',
      '/b-apartments-condos/city-of-toronto/c37l1700273?page=2',
      '/b-apartments-condos/city-of-toronto/c37l1700273?page=3',
    ]);
    expect(site.requests.every((r) => r.userAgent === 'TributaryBot/0.1 (+https://example.org/tributary)')).toBe(true);
    const listings = values<Listing>(await fixture.readTopic('listings'));
    expect(listings.map((l) => l.id).sort()).toEqual([1, 2, 3].flatMap((page) => site.listingIds(page)).sort());
    expect(listings.every((l) => l.change === 'new' && l.from === 'next-data')).toBe(true);
    const ad = listings.find((l) => l.id === '1711910968')!;
    expect(ad).toMatchObject({ priceCents: 275000, priceKind: 'fixed', originalPriceCents: 285000, bedrooms: 2, bathrooms: 2, address: 'Toronto, ON M6S 3T9' });
    // Titles are decoded text: "&amp;" in the page is "&" in the record.
    expect(listings.filter((l) => l.title.includes('&amp;'))).toEqual([]);
    expect(listings.filter((l) => l.title.includes(' & ')).length).toBe(33);
  });

  it('should emit nothing on a second crawl of unchanged pages', async () => {
    const site = await kijiji();
    const fixture = await sourceFixture();
    const source = scraper(fixture.ctx, site.startUrl);
    expect((await source.poll(signal())).emitted).toBe(135);
    expect(await source.poll(signal())).toEqual({ emitted: 0, skipped: 135, rejected: 0 });
    expect(await fixture.readTopic('listings')).toHaveLength(135);
  });

  it('should emit exactly the ads whose price changed, as updates', async () => {
    const site = await kijiji();
    const fixture = await sourceFixture();
    const source = scraper(fixture.ctx, site.startUrl);
    await source.poll(signal());
    const [a, b] = site.listingIds(1);
    const c = site.listingIds(3)[10]!;
    site.setPrice(a!, 199_900);
    site.setPrice(b!, site.priceOf(b!) + 5_000);
    site.setPrice(c, 100_000);
    expect(await source.poll(signal())).toEqual({ emitted: 3, skipped: 132, rejected: 0 });
    const updates = values<Listing>(await fixture.readTopic('listings')).slice(135);
    expect(updates.map((l) => [l.id, l.priceCents, l.change])).toEqual([
      [a, 199_900, 'updated'],
      [b, site.priceOf(b!), 'updated'],
      [c, 100_000, 'updated'],
    ]);
  });

  it('should resume after a restart without duplicates', async () => {
    const site = await kijiji({ pages: 3 });
    const fixture = await sourceFixture();
    // First process: a crawl that stopped after page 1.
    expect((await scraper(fixture.ctx, site.startUrl, { maxPages: 1 }).poll(signal())).emitted).toBe(45);
    await fixture.reopenState();
    // Second process: the whole crawl; page 1 is known, pages 2 and 3 are new.
    expect(await scraper(fixture.ctx, site.startUrl).poll(signal())).toEqual({ emitted: 90, skipped: 45, rejected: 0 });
    await fixture.reopenState();
    expect(await scraper(fixture.ctx, site.startUrl).poll(signal())).toEqual({ emitted: 0, skipped: 135, rejected: 0 });
    const ids = values<Listing>(await fixture.readTopic('listings')).map((l) => l.id);
    expect(ids).toHaveLength(135);
    expect(new Set(ids).size).toBe(135);
    expect(await fixture.ctx.state.entries(fingerprintNamespace('kijiji'))).toHaveLength(135);
  });

  it('should not fetch anything when robots.txt disallows the start URL', async () => {
    const site = await kijiji({ robotsTxt: 'User-agent: tributarybot\nDisallow: /b-\n\nUser-agent: *\nAllow: /\n' });
    const fixture = await sourceFixture();
    const error = await rejection(scraper(fixture.ctx, site.startUrl).poll(signal()), 'SOURCE_DISALLOWED');
    expect(error.message).toContain(`${site.url}/robots.txt disallows ${site.startUrl}`);
    expect(site.requests.map((r) => r.url)).toEqual(['/robots.txt']);
  });

  it('should stop the crawl at a page robots.txt disallows, with a warning', async () => {
    const site = await kijiji({ robotsTxt: 'User-agent: *\nDisallow: /*?page=3\n' });
    const fixture = await sourceFixture();
    const result = await scraper(fixture.ctx, site.startUrl).poll(signal());
    expect(result.emitted).toBe(90);
    expect(site.requests.map((r) => r.url)).not.toContain('/b-apartments-condos/city-of-toronto/c37l1700273?page=3');
    expect(fixture.warnings).toContain(`robots.txt disallows ${site.startUrl}?page=3; the crawl stops here`);
  });

  it('should crawl when robots.txt does not exist, and crawl nothing when it answers 5xx', async () => {
    const missing = await kijiji({ robotsTxt: null, pages: 1 });
    const fixture = await sourceFixture();
    expect((await scraper(fixture.ctx, missing.startUrl).poll(signal())).emitted).toBe(45);

    const broken = await kijiji({ pages: 1 });
    broken.inject({ kind: 'status', status: 503 }, { times: 10, path: '/robots.txt' });
    const other = await sourceFixture();
    await rejection(scraper(other.ctx, broken.startUrl, { retry: { maxAttempts: 2, baseDelayMs: 1 } }).poll(signal()), 'SOURCE_DISALLOWED');
    expect(broken.requests.map((r) => r.url)).toEqual(['/robots.txt', '/robots.txt']);
  });

  it('should obey Crawl-delay between pages', async () => {
    const site = await kijiji({ robotsTxt: 'User-agent: *\nCrawl-delay: 0.4\n', pages: 3 });
    const fixture = await sourceFixture();
    // When the scraper sends each page request: the server's arrival times would also hold the
    // sending's own delays on a busy machine, which can shorten a gap between two arrivals.
    const sent: number[] = [];
    const realFetch = globalThis.fetch;
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      if (!String(input instanceof Request ? input.url : input).endsWith('/robots.txt')) sent.push(performance.now());
      return realFetch(input, init);
    });
    try {
      await scraper(fixture.ctx, site.startUrl).poll(signal());
    } finally {
      spy.mockRestore();
    }
    expect(site.requests.filter((r) => r.url !== '/robots.txt')).toHaveLength(3);
    expect(sent).toHaveLength(3);
    expect(sent[1]! - sent[0]!).toBeGreaterThanOrEqual(395);
    expect(sent[2]! - sent[1]!).toBeGreaterThanOrEqual(395);
  });

  it('should keep what a truncated page holds, reject the cut card to the DLQ and warn naming the page', async () => {
    const site = await kijiji({ pages: 2 });
    const fixture = await sourceFixture();
    // Page 1 cut inside its 15th card: the Apollo state (at the end) is lost; the <link rel="next">
    // in the head survives, so the crawl goes on to page 2.
    site.inject({ kind: 'truncate', bytes: 483_002 }, { path: '/b-' });
    const result = await scraper(fixture.ctx, site.startUrl).poll(signal());
    expect(result).toEqual({ emitted: 14 + 45, skipped: 0, rejected: 1 });
    expect(fixture.warnings).toEqual(
      expect.arrayContaining([
        // 483,002 bytes are fewer characters: the page has multi-byte UTF-8 before the cut.
        `page ${site.startUrl} looks truncated (482947 characters, no closing </html>)`,
        `page ${site.startUrl}: no __NEXT_DATA__ script; ads read from the card markup only`,
        `page ${site.startUrl}: 1 listing card(s) could not be read`,
      ]),
    );
    const listings = values<Listing>(await fixture.readTopic('listings')).slice(0, 14);
    expect(listings.every((l) => l.from === 'card' && l.priceKind === 'fixed' && l.priceCents! > 0 && l.url !== null)).toBe(true);
    const dlq = await fixture.readTopic('kijiji.dlq');
    expect(dlq).toHaveLength(1);
    expect(header(dlq[0]!, 'tributary.error')).toBe(`card 15 on ${site.startUrl} (ad 1673699130): the page ends inside this card`);
    expect(header(dlq[0]!, 'tributary.source')).toBe(site.startUrl);
    expect(dlq[0]!.value!.toString()).toMatch(/^<section data-testid="listing-card" data-listingid="1673699130"/);

    // The next crawl gets whole pages: the 14 ads read from cards are known (same id and price),
    // the other 31 of page 1 are new.
    expect(await scraper(fixture.ctx, site.startUrl).poll(signal())).toEqual({ emitted: 31, skipped: 59, rejected: 0 });
  });

  it('should retry a page through 500s and a 429 with Retry-After', async () => {
    const site = await kijiji({ pages: 2 });
    const fixture = await sourceFixture();
    site.inject({ kind: 'status', status: 500 }, { path: '/b-' });
    site.inject({ kind: 'status', status: 429, retryAfter: '1' }, { path: '/b-' });
    const result = await scraper(fixture.ctx, site.startUrl).poll(signal());
    expect(result.emitted).toBe(90);
    const pageRequests = site.requests.filter((r) => r.url !== '/robots.txt');
    expect(pageRequests.map((r) => r.status)).toEqual([500, 429, 200, 200]);
    expect(pageRequests[2]!.at - pageRequests[1]!.at).toBeGreaterThanOrEqual(990);
  });

  it('should fail the poll with SOURCE_UNAVAILABLE when a page keeps failing, keeping what the pages before it emitted', async () => {
    const site = await kijiji({ pages: 2 });
    const fixture = await sourceFixture();
    const source = scraper(fixture.ctx, site.startUrl, { timeoutMs: 200, retry: { maxAttempts: 2, baseDelayMs: 1 } });
    await source.poll(signal());
    const [onPage1, onPage2] = [site.listingIds(1)[0]!, site.listingIds(2)[0]!];
    site.setPrice(onPage1, 123_400);
    site.setPrice(onPage2, 234_500);
    // Page 2 hangs past the timeout on both attempts.
    site.inject({ kind: 'delay', ms: 1000 }, { times: 2, path: '/b-apartments-condos/city-of-toronto/c37l1700273?page=2' });
    const error = await rejection(source.poll(signal()), 'SOURCE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('?page=2 failed after 2 attempts: last no complete response within 200 ms');
    // Page 1's update went out and its fingerprint was saved; the next crawl emits only page 2's.
    expect(await source.poll(signal())).toEqual({ emitted: 1, skipped: 89, rejected: 0 });
    const updates = values<Listing>(await fixture.readTopic('listings')).slice(90);
    expect(updates.map((l) => [l.id, l.priceCents, l.change])).toEqual([
      [onPage1, 123_400, 'updated'],
      [onPage2, 234_500, 'updated'],
    ]);
  });

  it('should end a crawl stopped mid-way at the page being fetched, returning what the pages before it emitted', async () => {
    const site = await kijiji({ pages: 2 });
    const fixture = await sourceFixture();
    const source = scraper(fixture.ctx, site.startUrl);
    const page2 = '/b-apartments-condos/city-of-toronto/c37l1700273?page=2';
    site.inject({ kind: 'delay', ms: 10_000 }, { path: page2 });
    const stop = new AbortController();
    const poll = source.poll(stop.signal);
    const deadline = Date.now() + 30_000;
    while (!site.requests.some((r) => r.url === page2)) {
      if (Date.now() > deadline) throw new Error('the scraper never asked for page 2');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    stop.abort();
    expect(await poll).toEqual({ emitted: 45, skipped: 0, rejected: 0 });
    expect(await fixture.readTopic('listings')).toHaveLength(45);
    // The next crawl sends page 2's ads only: page 1's fingerprints were saved.
    expect(await source.poll(signal())).toEqual({ emitted: 45, skipped: 45, rejected: 0 });
  });
});
