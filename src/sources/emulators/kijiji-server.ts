/**
 * A local stand-in for a Kijiji search: serves the real saved results page
 * (/work/shared/data/kijiji, see its SOURCES.md) with pagination, a robots.txt, price changes on
 * request, and the failure injection of http-emulator.ts.
 *
 * - Page 1 is the real HTML. The saved page carries no pagination markup (Kijiji renders it
 *   client-side), so the emulator adds what a crawler follows: `<link rel="next">` in the head and a
 *   `Next` link after the listings, on every page but the last.
 * - Page N > 1 is the same page with every listing id replaced by `N * 10^10 + id`, so each page
 *   holds 45 distinct ads (ids, URLs, Apollo keys and card attributes all change together).
 * - `setPrice(id, cents)` changes one ad's price in both places a scraper reads it: the Apollo
 *   state's `amount` (cents) and the card's `$1,234.00`.
 */
import { readFile } from 'node:fs/promises';
import { startHttpEmulator, type Fault, type HttpEmulator, type InjectOptions, type RequestRecord } from './http-emulator.ts';

export const KIJIJI_SAMPLE_HTML = new URL('../../../../shared/data/kijiji/toronto_search_c37l1700273_2025-05.html', import.meta.url);

/** The search path of the saved page (Long Term Rentals, City of Toronto). */
export const KIJIJI_SEARCH_PATH = '/b-apartments-condos/city-of-toronto/c37l1700273';

export const DEFAULT_ROBOTS_TXT = ['User-agent: *', 'Disallow: /m-', 'Disallow: /*?*sort=', 'Allow: /b-', '', 'User-agent: BadBot', 'Disallow: /', ''].join('\n');

export interface KijijiServerOptions {
  /** Pages of results. Default 3. */
  pages?: number;
  /** The robots.txt served; `null` answers 404. Default: DEFAULT_ROBOTS_TXT (allows the search). */
  robotsTxt?: string | null;
  htmlFile?: URL | string;
  /** The page-1 HTML itself (a generated page); takes precedence over `htmlFile`. */
  html?: string;
  port?: number;
}

export interface KijijiServer {
  readonly url: string;
  /** The URL of page 1 of the search. */
  readonly startUrl: string;
  readonly requests: RequestRecord[];
  /** The ids of the distinct ads on a page (45 each). */
  listingIds(page: number): string[];
  /** The price of an ad in cents as the pages now show it. */
  priceOf(id: string): number;
  setPrice(id: string, cents: number): void;
  setRobotsTxt(text: string | null): void;
  inject(fault: Fault, options?: InjectOptions): void;
  close(): Promise<void>;
}

export async function startKijijiServer(options: KijijiServerOptions = {}): Promise<KijijiServer> {
  const pages = options.pages ?? 3;
  const original = options.html ?? (await readFile(options.htmlFile ?? KIJIJI_SAMPLE_HTML, 'utf8'));
  const ids = [...new Set([...original.matchAll(/"RealEstateListing:(\d+)"/g)].map((match) => match[1]!))];
  const originalPrices = new Map(ids.map((id) => [id, readAmount(original, id)]));
  const idPattern = new RegExp(`(?<!\\d)(${ids.join('|')})(?!\\d)`, 'g');
  const prices = new Map<string, number>();
  let robotsTxt = options.robotsTxt === undefined ? DEFAULT_ROBOTS_TXT : options.robotsTxt;
  const cache = new Map<number, string>();

  const pageId = (id: string, page: number): string => (page === 1 ? id : String(page * 1e10 + Number(id)));
  const baseId = (id: string): string => (id.length > 10 ? String(Number(id) % 1e10) : id);
  const pageOf = (id: string): number => (id.length > 10 ? Math.floor(Number(id) / 1e10) : 1);

  const render = (page: number): string => {
    const hit = cache.get(page);
    if (hit !== undefined) return hit;
    let html = page === 1 ? original : original.replace(idPattern, (id) => pageId(id, page));
    for (const [id, cents] of prices) if (pageOf(id) === page) html = withPrice(html, id, cents);
    if (page < pages) {
      const next = `${KIJIJI_SEARCH_PATH}?page=${page + 1}`;
      html = html.replace('</head>', `<link rel="next" href="${next}"/></head>`);
      html = html.replace(
        '<script id="__NEXT_DATA__"',
        `<nav aria-label="Search Pagination" data-testid="pagination"><a data-testid="pagination-next-link" rel="next" href="${next}">Next</a></nav><script id="__NEXT_DATA__"`,
      );
    }
    cache.set(page, html);
    return html;
  };

  const emulator: HttpEmulator = await startHttpEmulator(
    (url) => {
      if (url.pathname === '/robots.txt') {
        return robotsTxt === null ? { status: 404, body: 'not found', contentType: 'text/plain' } : { status: 200, body: robotsTxt, contentType: 'text/plain' };
      }
      const page = Number(url.searchParams.get('page') ?? '1');
      if (url.pathname !== KIJIJI_SEARCH_PATH || !Number.isInteger(page) || page < 1 || page > pages) {
        return { status: 404, body: '<html><body>Page not found</body></html>', contentType: 'text/html' };
      }
      return { status: 200, body: render(page), contentType: 'text/html; charset=utf-8' };
    },
    { port: options.port },
  );

  return {
    url: emulator.url,
    startUrl: `${emulator.url}${KIJIJI_SEARCH_PATH}`,
    requests: emulator.requests,
    listingIds: (page) => ids.map((id) => pageId(id, page)),
    priceOf: (id) => prices.get(id) ?? originalPrices.get(baseId(id)) ?? NaN,
    setPrice(id, cents) {
      if (!originalPrices.has(baseId(id)) || pageOf(id) > pages) throw new Error(`kijiji emulator: no ad ${id}`);
      prices.set(id, cents);
      cache.delete(pageOf(id));
    },
    setRobotsTxt(text) {
      robotsTxt = text;
    },
    inject: (fault, inject) => emulator.inject(fault, inject),
    close: () => emulator.close(),
  };
}

function readAmount(html: string, id: string): number {
  const at = html.indexOf(`"RealEstateListing:${id}":{`);
  const match = /"amount":(\d+)/.exec(html.slice(at, at + 20_000));
  return Number(match?.[1] ?? NaN);
}

/** Set an ad's price in the Apollo state (cents) and on each of its cards (`$1,234.00`). */
function withPrice(html: string, id: string, cents: number): string {
  let out = html;
  const key = `"RealEstateListing:${id}":{`;
  const at = out.indexOf(key);
  if (at >= 0) {
    const tail = out.slice(at).replace(/"amount":\d+/, `"amount":${cents}`);
    out = out.slice(0, at) + tail;
  }
  const dollars = `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const card = `data-listingid="${id}"`;
  for (let from = out.indexOf(card); from >= 0; from = out.indexOf(card, from + card.length)) {
    // A function, not a replacement string: `$1,234.00` would read as a group reference.
    const tail = out.slice(from).replace(/(data-testid="listing-price"[^>]*>)[^<]*</, (_, open: string) => `${open}${dollars}<`);
    out = out.slice(0, from) + tail;
  }
  return out;
}
