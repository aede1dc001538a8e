/**
 * Reading the ads of one search-results page shaped like Kijiji's: the Next.js `__NEXT_DATA__`
 * script holds the Apollo state (`RealEstateListing:<id>` objects, prices in cents), and each ad
 * also has a `section[data-testid=listing-card]` in the markup. The Apollo object is preferred;
 * the card is the fallback (e.g. when a truncated page lost the script, which comes last).
 *
 * Never throws on bad HTML: what parses is returned, cards that cannot become an ad are returned
 * as rejects with the reason, and what went wrong is in `warnings`.
 */
import { load, type CheerioAPI } from 'cheerio';
import { decodeEntities } from './entities.ts';
import type { ParsedListing } from './listing.ts';
import { parseApolloPrice, parsePriceText } from './price.ts';
import { DEFAULT_NEXT_SELECTOR } from './scraper-config.ts';

export interface Rejected {
  id: string | undefined;
  reason: string;
  /** The card's HTML, cut to a few kilobytes. */
  fragment: string;
}

export interface ListingPage {
  listings: ParsedListing[];
  rejected: Rejected[];
  warnings: string[];
  /** The absolute URL of the next page, when the page links one. */
  nextUrl: string | undefined;
}

/** A card as cheerio holds it. */
type Card = ReturnType<ReturnType<CheerioAPI['root']>['find']>;

export function parseListingPage(html: string, pageUrl: string, options: { nextSelector?: string } = {}): ListingPage {
  // Source locations tell a card that was closed from one the end of the input cut short.
  const $ = load(html, { sourceCodeLocationInfo: true });
  const warnings: string[] = [];
  const rejected: Rejected[] = [];
  const truncated = !/<\/html>\s*$/i.test(html);
  if (truncated) warnings.push(`page ${pageUrl} looks truncated (${html.length} characters, no closing </html>)`);

  const fromState = apolloListings($, pageUrl, warnings);
  const cards = $('section[data-testid="listing-card"]')
    .toArray()
    .map((element) => $(element));
  const byId = new Map<string, ParsedListing>();
  cards.forEach((card, index) => {
    const id = card.attr('data-listingid');
    const state = id === undefined ? undefined : fromState.get(id);
    if (state) {
      byId.set(state.id, { ...state, url: state.url ?? cardLink(card, pageUrl) });
      return;
    }
    // A card whose </section> never came was cut off with the page: its fields may be partial.
    const closed = (card.get(0) as { sourceCodeLocation?: { endTag?: unknown } } | undefined)?.sourceCodeLocation?.endTag !== undefined;
    const problem = closed ? undefined : 'the page ends inside this card';
    const parsed = problem === undefined ? cardListing(card, pageUrl) : { problem };
    if ('problem' in parsed) {
      rejected.push({ id, reason: `card ${index + 1} on ${pageUrl}${id === undefined ? '' : ` (ad ${id})`}: ${parsed.problem}`, fragment: $.html(card).slice(0, 4096) });
      return;
    }
    if (!byId.has(parsed.id)) byId.set(parsed.id, parsed);
  });
  for (const [id, listing] of fromState) if (!byId.has(id)) byId.set(id, listing);

  let nextUrl: string | undefined;
  const href = $(options.nextSelector ?? DEFAULT_NEXT_SELECTOR).first().attr('href');
  if (href !== undefined) {
    try {
      nextUrl = new URL(href, pageUrl).toString();
    } catch {
      warnings.push(`page ${pageUrl}: next-page link ${JSON.stringify(href)} is not a URL`);
    }
  }
  if (rejected.length > 0) warnings.push(`page ${pageUrl}: ${rejected.length} listing card(s) could not be read`);
  return { listings: [...byId.values()], rejected, warnings, nextUrl };
}

/** The listings in `__NEXT_DATA__`'s Apollo state, by id; empty (with a warning) when missing or cut. */
function apolloListings($: CheerioAPI, pageUrl: string, warnings: string[]): Map<string, ParsedListing> {
  const out = new Map<string, ParsedListing>();
  const script = $('script#__NEXT_DATA__');
  if (script.length === 0) {
    warnings.push(`page ${pageUrl}: no __NEXT_DATA__ script; ads read from the card markup only`);
    return out;
  }
  let data: unknown;
  try {
    data = JSON.parse(script.text());
  } catch (error) {
    warnings.push(`page ${pageUrl}: __NEXT_DATA__ is not valid JSON (${(error as Error).message}); ads read from the card markup only`);
    return out;
  }
  const state = (data as { props?: { pageProps?: { __APOLLO_STATE__?: Record<string, unknown> } } }).props?.pageProps?.__APOLLO_STATE__;
  if (!state || typeof state !== 'object') {
    warnings.push(`page ${pageUrl}: __NEXT_DATA__ has no props.pageProps.__APOLLO_STATE__`);
    return out;
  }
  for (const [key, value] of Object.entries(state)) {
    if (!/Listing:\d+$/.test(key) || value === null || typeof value !== 'object') continue;
    const listing = fromApollo(value, pageUrl);
    out.set(listing.id, listing);
  }
  return out;
}

interface ApolloListing {
  id?: unknown;
  title?: unknown;
  description?: unknown;
  url?: unknown;
  activationDate?: unknown;
  sortingDate?: unknown;
  adSource?: unknown;
  price?: unknown;
  location?: { name?: unknown; address?: unknown; coordinates?: { latitude?: unknown; longitude?: unknown } | null } | null;
  attributes?: { all?: { canonicalName?: unknown; canonicalValues?: unknown }[] } | null;
}

function fromApollo(item: ApolloListing, pageUrl: string): ParsedListing {
  const price = parseApolloPrice(item.price);
  const attribute = (name: string): string | undefined => {
    const values = item.attributes?.all?.find((entry) => entry.canonicalName === name)?.canonicalValues;
    return Array.isArray(values) && typeof values[0] === 'string' ? values[0] : undefined;
  };
  const bathrooms = numberOrNull(attribute('numberbathrooms'));
  return {
    id: String(item.id),
    title: text(item.title) ?? '',
    url: text(item.url),
    description: text(item.description),
    priceCents: price.cents,
    priceKind: price.kind,
    originalPriceCents: price.originalCents,
    location: text(item.location?.name),
    address: text(item.location?.address),
    latitude: finiteOrNull(item.location?.coordinates?.latitude),
    longitude: finiteOrNull(item.location?.coordinates?.longitude),
    bedrooms: numberOrNull(attribute('numberbedrooms')),
    // Kijiji counts bathrooms in tenths: "15" is 1.5.
    bathrooms: bathrooms === null ? null : bathrooms / 10,
    unitType: attribute('unittype') ?? null,
    activatedAt: text(item.activationDate),
    sortedAt: text(item.sortingDate),
    adSource: text(item.adSource),
    from: 'next-data',
    pageUrl,
  };
}

function cardListing(node: Card, pageUrl: string): ParsedListing | { problem: string } {
  const id = node.attr('data-listingid');
  if (id === undefined || !/^\d+$/.test(id)) return { problem: 'no data-listingid' };
  const title = node.find('[data-testid="listing-title"]').text().trim();
  if (title === '') return { problem: 'no title' };
  const priceText = node.find('[data-testid="listing-price"]').first().text();
  if (priceText.trim() === '') return { problem: 'no price' };
  const price = parsePriceText(priceText);
  const original = node.find('[data-testid="listing-price-original"]').first().text();
  const description = node.find('[data-testid="listing-description"]').text().trim();
  return {
    id,
    title,
    url: cardLink(node, pageUrl),
    description: description === '' ? null : description,
    priceCents: price.cents,
    priceKind: price.kind,
    originalPriceCents: original.trim() === '' ? null : parsePriceText(original).cents,
    location: node.find('[data-testid="listing-location"]').text().trim() || null,
    address: null,
    latitude: null,
    longitude: null,
    bedrooms: null,
    bathrooms: null,
    unitType: null,
    activatedAt: null,
    sortedAt: null,
    adSource: null,
    from: 'card',
    pageUrl,
  };
}

function cardLink(card: Card, pageUrl: string): string | null {
  const href = card.find('a[data-testid="listing-link"]').attr('href');
  if (href === undefined) return null;
  try {
    return new URL(href, pageUrl).toString();
  } catch {
    return null;
  }
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? decodeEntities(value.trim()) : null;
}

function numberOrNull(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
