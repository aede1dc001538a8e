import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { listingSchema } from '../../../src/sources/scraper/listing.ts';
import { parseListingPage } from '../../../src/sources/scraper/parse-listing-page.ts';

const html = await readFile(new URL('../../../../shared/data/kijiji/toronto_search_c37l1700273_2025-05.html', import.meta.url), 'utf8');
const apollo = (await readFile(new URL('../../../../shared/data/kijiji/toronto_search_c37l1700273_2025-05.apollo_listings.jsonl', import.meta.url), 'utf8'))
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as { id: string; title: string; price: { amount: number } });
const pageUrl = 'https://www.kijiji.ca/b-apartments-condos/city-of-toronto/c37l1700273';

describe('parseListingPage on the real Kijiji page', () => {
  const page = parseListingPage(html, pageUrl);

  it('should read the 45 ads of the Apollo state (46 cards, one ad shown twice) without warnings', () => {
    expect(page.warnings).toEqual([]);
    expect(page.rejected).toEqual([]);
    expect(page.listings.map((l) => l.id).sort()).toEqual(apollo.map((a) => a.id).sort());
    expect(page.listings.every((l) => l.from === 'next-data')).toBe(true);
    // The saved page links no next page.
    expect(page.nextUrl).toBeUndefined();
  });

  it('should take prices in cents from the state and decode entities in titles', () => {
    const byId = new Map(page.listings.map((l) => [l.id, l]));
    for (const ad of apollo) {
      expect(byId.get(ad.id)?.priceCents).toBe(ad.price.amount);
      expect(byId.get(ad.id)?.title).toBe(ad.title.trim());
    }
  });

  it('should produce records that fit the topic schema', () => {
    for (const listing of page.listings) {
      expect(listingSchema.safeParse({ ...listing, scrapedAt: new Date().toISOString(), change: 'new' }).success).toBe(true);
    }
  });

  it('should read the same ids and prices from the cards alone when the state is missing', () => {
    const cardsOnly = parseListingPage(html.replace(/<script id="__NEXT_DATA__"[\s\S]*?<\/script>/, ''), pageUrl);
    expect(cardsOnly.warnings).toEqual([`page ${pageUrl}: no __NEXT_DATA__ script; ads read from the card markup only`]);
    expect(cardsOnly.listings.map((l) => [l.id, l.priceCents, l.priceKind])).toEqual(page.listings.map((l) => [l.id, l.priceCents, l.priceKind]));
    expect(cardsOnly.listings.find((l) => l.id === '1711910968')).toMatchObject({ priceCents: 275000, originalPriceCents: 285000, from: 'card' });
  });

  it('should decode entities left in JSON strings', () => {
    const doubled = html.replace('"title":"BACHELOR APARTMENT FOR RENT"', '"title":"Bachelor &amp; den &#8211; &quot;bright&quot;"');
    const listing = parseListingPage(doubled, pageUrl).listings.find((l) => l.id === '1704787423');
    expect(listing?.title).toBe('Bachelor & den – "bright"');
  });

  it.each([0.02, 0.3, 0.5, 0.78, 0.8, 0.95, 0.9999])('should never throw on the page cut at %f, keeping only whole cards', (fraction) => {
    const cut = html.slice(0, Math.floor(html.length * fraction));
    const result = parseListingPage(cut, pageUrl);
    expect(result.warnings[0]).toMatch(/looks truncated/);
    const whole = (cut.match(/data-testid="listing-card"[\s\S]*?<\/section>/g) ?? []).length;
    expect(result.listings.length + result.rejected.length).toBeLessThanOrEqual(46);
    for (const listing of result.listings) expect(listing.priceCents).toBe(apollo.find((a) => a.id === listing.id)!.price.amount);
    for (const reject of result.rejected) expect(reject.reason).toContain('the page ends inside this card');
    expect(result.rejected.length).toBeLessThanOrEqual(1);
    if (fraction < 0.78) expect(result.listings.length).toBeLessThanOrEqual(whole);
  });
});
