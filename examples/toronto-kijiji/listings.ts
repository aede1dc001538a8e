/**
 * The speed half of the Kijiji side: the scraped ads on `kijiji.listings` (settings.ts) (the scraper source's
 * records, `listingSchema`), and two stream jobs over them:
 *
 * - `kijiji-current`: the current listings, one row per ad (the last price seen), ads with a fixed
 *   rent only (an ad that says "Please Contact" is filtered, and counted);
 * - `kijiji-price-history`: every version of every ad the scraper sent (new, then each re-pricing),
 *   one row per record, keyed by its log position, so a replay writes nothing twice.
 *
 * `listingRow` is the one shape both jobs and the batch job (rollups.ts) give a listing.
 */
import { listingSchema, Pipeline, statelessJob, topic, topicDataset, type Listing, type RecordContext, type Row, type TableSpec } from 'tributary';
import { readSettings } from './settings.ts';

/** `kijiji.listings`, unless KIJIJI_TOPIC names another. */
export const LISTINGS_TOPIC = readSettings().KIJIJI_TOPIC;
/** Where the archiver copies the topic in the raw zone. */
export const LISTINGS_RAW_DATASET = topicDataset(LISTINGS_TOPIC);

export const listingsTopic = topic({ name: LISTINGS_TOPIC, schema: listingSchema, keyField: 'id', timeField: 'scrapedAt', description: 'Kijiji ads, new or re-priced, as the scraper found them' });

/** The fields of a listing the tables keep, with its log position. */
export function listingRow(listing: Listing, position: { partition: number; offset: number }): Row {
  return {
    id: listing.id,
    area: listing.location ?? '(unknown)',
    title: listing.title,
    price_cents: listing.priceCents,
    price_kind: listing.priceKind,
    bedrooms: listing.bedrooms,
    url: listing.url,
    change: listing.change,
    scraped_at: new Date(listing.scrapedAt),
    partition: position.partition,
    offset: position.offset,
  };
}

const listingColumns = {
  id: 'text',
  area: 'text',
  title: 'text',
  price_cents: 'bigint',
  price_kind: 'text',
  bedrooms: 'double',
  url: 'text',
  change: 'text',
  scraped_at: 'timestamp',
  partition: 'integer',
  offset: 'bigint',
} as const;

export const currentListingsTable: TableSpec = { name: 'kijiji_current_listings', key: ['id'], columns: listingColumns };
export const priceHistoryTable: TableSpec = { name: 'kijiji_price_history', key: ['partition', 'offset'], columns: listingColumns };

const row = (listing: Listing, ctx: RecordContext) => listingRow(listing, ctx);

export const currentListingsJob = statelessJob({
  name: 'kijiji-current',
  pipeline: Pipeline.from(LISTINGS_TOPIC, listingSchema).filter((l) => l.priceKind === 'fixed' && l.priceCents !== null, 'has-rent'),
  output: { table: currentListingsTable, row },
});

export const priceHistoryJob = statelessJob({
  name: 'kijiji-price-history',
  pipeline: Pipeline.from(LISTINGS_TOPIC, listingSchema),
  output: { table: priceHistoryTable, row },
});
