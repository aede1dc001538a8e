/** The config of a scraper source: where to start, how far to follow pages, and HTTP manners. */
import { z } from 'zod';
import { httpOptionsSchema } from '../http/http-options.ts';

/** Where a crawler finds the next page: a `rel=next` link, or Kijiji's pagination link. */
export const DEFAULT_NEXT_SELECTOR = 'link[rel="next"], a[rel="next"], [data-testid="pagination-next-link"]';

export const scraperConfigSchema = z.strictObject({
  name: z.string().min(1).describe('Source name: progress and fingerprints live under source.<name>, dead letters go to <name>.dlq'),
  startUrl: z.url().describe('Page 1 of the search results'),
  topic: z.string().min(1).describe('Topic the ads go to (records of listingSchema)'),
  maxPages: z.number().int().min(1).default(5).describe('Pages followed per crawl, page 1 included'),
  nextSelector: z.string().min(1).default(DEFAULT_NEXT_SELECTOR).describe('CSS selector of the next-page link (its href is followed)'),
  robotsTtlMs: z.number().int().min(0).default(3_600_000).describe('How long a fetched robots.txt is trusted'),
  ...httpOptionsSchema.shape,
});

export type ScraperConfig = z.output<typeof scraperConfigSchema>;
