/**
 * The batch jobs after the clean job (toronto-job.ts):
 *
 * - `toronto-scores-by-ward`: processed/toronto_apartments → curated/toronto_scores_by_ward, the
 *   evaluation score per ward and evaluation year (evaluations, mean, min, max);
 * - `kijiji-listings-clean`: the archived `kijiji.listings` (raw zone) → processed/kijiji_listings,
 *   every version of every ad, by the stream jobs' `listingRow`, merged by log position;
 * - `kijiji-listings-per-area`: processed/kijiji_listings → curated/kijiji_listings_per_area, per
 *   area and log partition: the ads first seen, the re-pricings, and `through`, one past the last
 *   offset the rollup covers in that partition (the serving view's high-watermark, listings-view.ts).
 */
import { defineBatchJob, listingSchema, type BatchRecord } from 'tributary';
import { LISTINGS_RAW_DATASET, listingRow } from './listings.ts';

export const scoresByWardJob = defineBatchJob({
  name: 'toronto-scores-by-ward',
  description: 'evaluation score by ward and year, from the cleaned evaluations',
  inputs: [{ kind: 'dataset', name: 'apartments', zone: 'processed', dataset: 'toronto_apartments' }],
  transform: {
    sql: `SELECT ward, any_value(ward_name ORDER BY ward_name) AS ward_name, year(evaluation_completed_on) AS _year,
      count(*) AS evaluations, round(avg(score), 2) AS mean_score, min(score) AS min_score, max(score) AS max_score
      FROM apartments GROUP BY ward, _year`,
  },
  output: { zone: 'curated', dataset: 'toronto_scores_by_ward', mode: 'overwrite-partitions', partitionBy: { column: 'year', expr: '_year' } },
});

function cleanListing(record: BatchRecord): BatchRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(String(record.value));
  } catch {
    return null;
  }
  const parsed = listingSchema.safeParse(value);
  if (!parsed.success) return null;
  const row = listingRow(parsed.data, { partition: Number(record.partition), offset: Number(record.offset) });
  return { ...row, scraped_at: parsed.data.scrapedAt };
}

export const listingsCleanJob = defineBatchJob({
  name: 'kijiji-listings-clean',
  description: "the raw zone's Kijiji ads, every version, as the stream jobs shape them",
  inputs: [{ kind: 'dataset', name: 'listings', zone: 'raw', dataset: LISTINGS_RAW_DATASET }],
  transform: {
    sql: 'SELECT "partition", "offset", value FROM listings',
    records: {
      fn: cleanListing,
      columns: [
        { name: 'id', type: 'VARCHAR' },
        { name: 'area', type: 'VARCHAR' },
        { name: 'title', type: 'VARCHAR' },
        { name: 'price_cents', type: 'BIGINT' },
        { name: 'price_kind', type: 'VARCHAR' },
        { name: 'bedrooms', type: 'DOUBLE' },
        { name: 'url', type: 'VARCHAR' },
        { name: 'change', type: 'VARCHAR' },
        { name: 'scraped_at', type: 'VARCHAR' },
        { name: 'partition', type: 'INTEGER' },
        { name: 'offset', type: 'BIGINT' },
      ],
    },
  },
  output: { zone: 'processed', dataset: 'kijiji_listings', mode: 'merge', key: ['partition', 'offset'] },
});

export const listingsPerAreaJob = defineBatchJob({
  name: 'kijiji-listings-per-area',
  description: 'Kijiji ads per area (first seen, re-priced), with the log offsets it covers',
  inputs: [{ kind: 'dataset', name: 'listings', zone: 'processed', dataset: 'kijiji_listings' }],
  transform: {
    sql: `WITH covered AS (SELECT "partition", max("offset") + 1 AS through FROM listings GROUP BY "partition")
      SELECT l.area, l."partition", count(DISTINCT l.id) FILTER (WHERE l.change = 'new') AS ads,
        count(*) FILTER (WHERE l.change = 'updated') AS reprices, c.through, now()::VARCHAR AS computed_at
      FROM listings l JOIN covered c USING ("partition") GROUP BY l.area, l."partition", c.through`,
  },
  output: { zone: 'curated', dataset: 'kijiji_listings_per_area', mode: 'overwrite-partitions' },
});
