import { readFile } from 'node:fs/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { KIJIJI_SAMPLE_HTML, KIJIJI_SEARCH_PATH, startKijijiServer, type KijijiServerOptions } from '../../../src/sources/emulators/kijiji-server.ts';

const original = await readFile(KIJIJI_SAMPLE_HTML, 'utf8');

async function start(options: KijijiServerOptions = {}) {
  const server = await startKijijiServer(options);
  onTestFinished(() => server.close());
  return server;
}

describe('kijiji emulator', () => {
  it('should serve the real page as page 1, with only the pagination links added', async () => {
    const server = await start({ pages: 2 });
    const page1 = await (await fetch(server.startUrl)).text();
    const next = `${KIJIJI_SEARCH_PATH}?page=2`;
    expect(page1.replace(`<link rel="next" href="${next}"/>`, '').replace(/<nav aria-label="Search Pagination"[\s\S]*?<\/nav>/, '')).toBe(original);
    expect(page1).toContain(`<a data-testid="pagination-next-link" rel="next" href="${next}">Next</a>`);
    const last = await (await fetch(`${server.url}${next}`)).text();
    expect(last).not.toContain('rel="next"');
    expect((await fetch(`${server.url}${KIJIJI_SEARCH_PATH}?page=3`)).status).toBe(404);
  });

  it('should give page 2 the same ads under other ids, everywhere the ids appear', async () => {
    const server = await start();
    const page2 = await (await fetch(`${server.startUrl}?page=2`)).text();
    const ids1 = server.listingIds(1);
    const ids2 = server.listingIds(2);
    expect(ids2[0]).toBe(String(2e10 + Number(ids1[0])));
    for (const id of ids1) expect(page2).not.toMatch(new RegExp(`(?<!\\d)${id}(?!\\d)`));
    for (const id of ids2) {
      expect(page2).toContain(`"RealEstateListing:${id}"`);
      expect(page2).toContain(`data-listingid="${id}"`);
    }
  });

  it('should change a price in the Apollo state and on the card', async () => {
    const server = await start();
    const id = server.listingIds(2)[0]!;
    server.setPrice(id, 123_456);
    const page2 = await (await fetch(`${server.startUrl}?page=2`)).text();
    expect(page2).toMatch(new RegExp(`"RealEstateListing:${id}":\\{[^]*?"amount":123456`));
    expect(page2).toMatch(new RegExp(`data-listingid="${id}"[^]*?data-testid="listing-price"[^>]*>\\$1,234.56<`));
    expect(server.priceOf(id)).toBe(123_456);
    expect(() => server.setPrice('42', 1)).toThrow('no ad 42');
  });

  it('should serve robots.txt, or 404 without one, and inject failures', async () => {
    const server = await start();
    expect(await (await fetch(`${server.url}/robots.txt`)).text()).toContain('User-agent: *');
    server.setRobotsTxt(null);
    expect((await fetch(`${server.url}/robots.txt`)).status).toBe(404);
    server.inject({ kind: 'status', status: 429, retryAfter: '3' });
    const limited = await fetch(server.startUrl);
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '3']);
    server.inject({ kind: 'truncate', bytes: 1000 });
    expect((await (await fetch(server.startUrl)).arrayBuffer()).byteLength).toBe(1000);
    expect(server.requests.map((r) => r.fault ?? null)).toEqual([null, null, 'status', 'truncate']);
  });
});
