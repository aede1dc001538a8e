import { describe, expect, it } from 'vitest';
import { parseApolloPrice, parsePriceText, type Price } from '../../../src/sources/scraper/price.ts';

describe('price normalisation', () => {
  it.each<[string, Price]>([
    ['$2,900.00', { cents: 290000, kind: 'fixed' }],
    ['$1,675.00', { cents: 167500, kind: 'fixed' }],
    ['$1450', { cents: 145000, kind: 'fixed' }],
    ['$19.99', { cents: 1999, kind: 'fixed' }],
    ['$0.5', { cents: 50, kind: 'fixed' }],
    ['  $ 14,000  ', { cents: 1400000, kind: 'fixed' }],
    ['$1,234,567.89', { cents: 123456789, kind: 'fixed' }],
    ['2 900,00 $', { cents: 290000, kind: 'fixed' }],
    ['1\u00a0675,50\u00a0$', { cents: 167550, kind: 'fixed' }],
    ['$2.50/sq ft', { cents: 250, kind: 'per-sqft' }],
    ['$9 / sq. ft.', { cents: 900, kind: 'per-sqft' }],
    ['$32 per sq ft', { cents: 3200, kind: 'per-sqft' }],
    ['$14/sqft', { cents: 1400, kind: 'per-sqft' }],
    ['$18.75/ft²', { cents: 1875, kind: 'per-sqft' }],
    ['Please Contact', { cents: null, kind: 'contact' }],
    ['please contact', { cents: null, kind: 'contact' }],
    ['Swap/Trade', { cents: null, kind: 'swap-trade' }],
    ['Free', { cents: 0, kind: 'free' }],
    ['', { cents: null, kind: 'unknown' }],
    ['call me', { cents: null, kind: 'unknown' }],
  ])('should read %j', (text, price) => {
    expect(parsePriceText(text)).toEqual(price);
  });

  it.each([
    [{ __typename: 'StandardAmountPrice', type: 'FIXED', amount: 290000, originalAmount: null }, { cents: 290000, kind: 'fixed', originalCents: null }],
    [{ type: 'FIXED', amount: 275000, originalAmount: 285000 }, { cents: 275000, kind: 'fixed', originalCents: 285000 }],
    [{ type: 'CONTACT', amount: null }, { cents: null, kind: 'contact', originalCents: null }],
    [{ type: 'PLEASE_CONTACT' }, { cents: null, kind: 'contact', originalCents: null }],
    [{ type: 'SWAP_TRADE' }, { cents: null, kind: 'swap-trade', originalCents: null }],
    [{ type: 'FREE', amount: 0 }, { cents: 0, kind: 'free', originalCents: null }],
    [{ type: 'FIXED', amount: 12.5 }, { cents: null, kind: 'unknown', originalCents: null }],
    [null, { cents: null, kind: 'unknown', originalCents: null }],
  ])('should read the Apollo price %j', (price, expected) => {
    expect(parseApolloPrice(price)).toEqual(expected);
  });

  it('should agree with the card text for every ad of the real page', async () => {
    // Both prices of one ad on the real page: the card's "$2,525.00" and the state's 252500 cents.
    const { readFile } = await import('node:fs/promises');
    const html = await readFile(new URL('../../../../shared/data/kijiji/toronto_search_c37l1700273_2025-05.html', import.meta.url), 'utf8');
    const cards = [...html.matchAll(/data-listingid="(\d+)"[\s\S]*?data-testid="listing-price"[^>]*>([^<]*)</g)].map((m) => [m[1]!, m[2]!] as const);
    expect(cards).toHaveLength(46);
    for (const [id, text] of cards) {
      const amount = Number(new RegExp(`"RealEstateListing:${id}":\\{[\\s\\S]*?"amount":(\\d+)`).exec(html)![1]);
      expect(parsePriceText(text).cents, `ad ${id}`).toBe(amount);
    }
  });
});
