/**
 * An emulated Kijiji search-results page (Long Term Rentals, City of Toronto), generated from a seed:
 * the shape the scraper reads (src/sources/scraper/parse-listing-page.ts), so the example needs no
 * saved page. Each ad is in the Next.js `__NEXT_DATA__` Apollo state (`RealEstateListing:<id>`, the
 * price in cents) and in a `section[data-testid=listing-card]`. Every tenth ad shows "Please Contact"
 * instead of a rent. The Kijiji emulator (kijiji-server.ts) serves it as page 1 and derives pages 2… from it, each with other ad ids.
 */
import { between, pick, seeded } from './random.ts';

/** The areas ads are listed in (the `location.name` Kijiji shows). */
export const AREAS = ['Downtown Toronto', 'North York', 'Scarborough', 'Etobicoke', 'East York', 'York'] as const;

const STREETS = ['Yonge St', 'Bathurst St', 'Eglinton Ave W', 'Sheppard Ave E', 'Lawrence Ave E', 'The Queensway', 'Dundas St W', 'Pape Ave'];
const KINDS = ['apartment', 'condo', 'basement-apartment', 'house'] as const;

export interface PageAd {
  id: string;
  area: string;
  /** null for an ad that shows "Please Contact" instead of a rent (every tenth). */
  cents: number | null;
}

export interface ListingsPage {
  html: string;
  ads: PageAd[];
}

const escapeHtml = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

const dollars = (cents: number) => `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** `ads` ads with ten-digit ids (the emulator makes page N's ids `N * 10^10 + id`). */
export function generateListingsPage(options: { ads?: number; seed?: number } = {}): ListingsPage {
  const random = seeded(options.seed ?? 1700273);
  const count = options.ads ?? 30;
  const ads: PageAd[] = [];
  const state: Record<string, unknown> = {};
  const cards: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = String(1_700_000_000 + i * 7919);
    const area = pick(random, AREAS);
    const bedrooms = between(random, 0, 3);
    const kind = pick(random, KINDS);
    const rent = (between(random, 14, 38) * 100 + bedrooms * 250) * 100;
    const cents = i % 10 === 9 ? null : rent;
    const title = `${bedrooms === 0 ? 'Bachelor' : `${bedrooms} bedroom`} ${kind.replace('-', ' ')} near ${pick(random, STREETS)}`;
    const path = `/v-apartments-condos/city-of-toronto/${kind}/${id}`;
    const latitude = Number((43.65 + random() * 0.12).toFixed(5));
    const longitude = Number((-79.5 + random() * 0.25).toFixed(5));
    ads.push({ id, area, cents });
    state[`RealEstateListing:${id}`] = {
      __typename: 'RealEstateListing',
      id,
      title,
      description: `A ${kind.replace('-', ' ')} in ${area}. Utilities extra.`,
      url: `https://www.kijiji.ca${path}`,
      activationDate: new Date(Date.UTC(2025, 4, 1 + (i % 28))).toISOString(),
      sortingDate: new Date(Date.UTC(2025, 4, 1 + (i % 28))).toISOString(),
      adSource: 'ORGANIC',
      price: cents === null ? { type: 'CONTACT', originalAmount: null } : { type: 'FIXED', amount: cents, originalAmount: null },
      location: { name: area, address: `${between(random, 1, 999)} ${pick(random, STREETS)}, Toronto, ON`, coordinates: { latitude, longitude } },
      attributes: { all: [{ canonicalName: 'numberbedrooms', canonicalValues: [String(bedrooms)] }, { canonicalName: 'numberbathrooms', canonicalValues: ['10'] }, { canonicalName: 'unittype', canonicalValues: [kind] }] },
    };
    cards.push(
      `<section data-testid="listing-card" data-listingid="${id}"><a data-testid="listing-link" href="${path}"><h3 data-testid="listing-title">${escapeHtml(title)}</h3></a>` +
        `<p data-testid="listing-price">${cents === null ? 'Please Contact' : dollars(cents)}</p><p data-testid="listing-location">${escapeHtml(area)}</p>` +
        `<p data-testid="listing-description">${escapeHtml(`A ${kind.replace('-', ' ')} in ${area}.`)}</p></section>`,
    );
  }
  const data = JSON.stringify({ props: { pageProps: { __APOLLO_STATE__: state } }, page: '/b-apartments-condos' }).replaceAll('<', '\\u003c');
  const html =
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/><title>Apartments &amp; Condos for Rent in City of Toronto | Kijiji (emulated)</title></head>` +
    `<body><main><h1>Long Term Rentals in City of Toronto</h1>${cards.join('')}</main>` +
    `<script id="__NEXT_DATA__" type="application/json">${data}</script></body></html>\n`;
  return { html, ads };
}
