/**
 * scraper: crawls listing pages (Kijiji-shaped: see parse-listing-page.ts) and emits each ad that
 * is new or whose price changed.
 *
 * One poll = one crawl: robots.txt (RFC 9309; a disallowed start URL is SOURCE_DISALLOWED, a
 * disallowed later page ends the crawl with a warning; Crawl-delay slows the rate limiter) → page 1
 * → its next-page link, same origin only, up to `maxPages`. Every request goes through the shared
 * HTTP client: User-Agent, timeout, rate limit, retries with backoff and Retry-After.
 *
 * Dedup: an ad's fingerprint is SHA-512 of the stable JSON of `{ id, price }` (fingerprint.ts),
 * kept in the state store (namespace `source.<name>/fp`, one key per ad id). Per page: read the
 * stored fingerprints → send the ads whose fingerprint is missing (`change: 'new'`) or different
 * (`change: 'updated'`) → `checkAndSet` each sent ad. Records go out before fingerprints are saved,
 * so a crash in between re-sends that page's changes once on restart (at-least-once, same content);
 * nothing is lost and unchanged ads are never sent again.
 *
 * A crawl stopped by its signal ends at the page being fetched: the poll returns what the pages
 * before it emitted (their records and fingerprints are saved), so the caller's counts stay exact.
 *
 * Bad input never fails a crawl: unreadable cards and ads that fail `listingSchema` go to
 * `<name>.dlq` (counted as rejected) and each page's problems are logged as warnings naming the page.
 */
import { TributaryError } from '../../errors.ts';
import { jsonCodec, validate } from '../../log/codec.ts';
import type { LogProducer, ProducerRecord } from '../../log/log.ts';
import { createHttpClient } from '../http/http-client.ts';
import { RateLimiter } from '../http/rate-limiter.ts';
import { createRobotsPolicy } from '../http/robots-policy.ts';
import { sourceDeadLetter } from '../http/source-dead-letter.ts';
import { progressNamespace, type PollResult, type Source, type SourceComponent, type SourceContext } from '../source.ts';
import { listingFingerprint } from './fingerprint.ts';
import { listingSchema, type Listing } from './listing.ts';
import { scraperConfigSchema, type ScraperConfig } from './scraper-config.ts';

export interface ScraperProgress {
  crawls: number;
  lastCrawlAt?: string;
  lastCrawlPages?: number;
}

export const PROGRESS_KEY = 'progress';

/** Where a scraper keeps its fingerprints. */
export function fingerprintNamespace(name: string): string {
  return `${progressNamespace(name)}/fp`;
}

export const scraperSource: SourceComponent<typeof scraperConfigSchema> = {
  name: 'scraper',
  configSchema: scraperConfigSchema,
  create: (config, ctx) => createScraper(config, ctx),
};

function createScraper(config: ScraperConfig, ctx: SourceContext): Source {
  const limiter = new RateLimiter(config.rateLimit);
  const client = createHttpClient(config, { rateLimiter: limiter, logger: ctx.logger });
  const robots = createRobotsPolicy(client, config.userAgent, { ttlMs: config.robotsTtlMs, logger: ctx.logger });
  const codec = jsonCodec();
  const fpNamespace = fingerprintNamespace(config.name);
  let producer: LogProducer | undefined;

  async function crawlPage(url: string, signal: AbortSignal): Promise<PollResult & { nextUrl: string | undefined }> {
    const response = await client.get(url, { signal, accept: 'text/html' });
    // Loaded on first use: cheerio is only needed by sources that scrape.
    const { parseListingPage } = await import('./parse-listing-page.ts');
    const page = parseListingPage(response.body, url, { nextSelector: config.nextSelector });
    for (const warning of page.warnings) ctx.logger.warn({ source: config.name, url }, warning);

    const records: ProducerRecord[] = [];
    let rejected = 0;
    const reject = (key: string | undefined, value: unknown, error: Error) => {
      rejected += 1;
      records.push(sourceDeadLetter(config.name, { key, value, url, step: 'scrape', error }));
    };
    for (const item of page.rejected) reject(item.id, item.fragment, new TributaryError('SCHEMA_VALIDATION', item.reason));

    const stored = await ctx.state.getMany(fpNamespace, page.listings.map((listing) => listing.id));
    const scrapedAt = new Date().toISOString();
    const changed: { id: string; fingerprint: string }[] = [];
    let skipped = 0;
    page.listings.forEach((parsed, index) => {
      const fingerprint = listingFingerprint(parsed.id, { cents: parsed.priceCents, kind: parsed.priceKind });
      const previous = stored[index]?.toString('utf8');
      if (previous === fingerprint) {
        skipped += 1;
        return;
      }
      const listing: Listing = { ...parsed, scrapedAt, change: previous === undefined ? 'new' : 'updated' };
      try {
        validate(listingSchema, listing, config.topic);
      } catch (error) {
        reject(parsed.id, listing, error as Error);
        return;
      }
      records.push({ topic: config.topic, key: Buffer.from(listing.id), value: codec.encode(listing, config.topic) });
      changed.push({ id: listing.id, fingerprint });
    });

    if (records.length > 0) {
      producer ??= ctx.log.producer();
      await producer.send(records);
    }
    for (const { id, fingerprint } of changed) await ctx.state.checkAndSet(fpNamespace, id, fingerprint);
    return { emitted: changed.length, skipped, rejected, nextUrl: page.nextUrl };
  }

  return {
    name: config.name,
    async poll(signal) {
      const start = new URL(config.startUrl);
      const rules = await robots.rulesFor(start, signal);
      if (!rules.isAllowed(start.pathname + start.search)) {
        throw new TributaryError('SOURCE_DISALLOWED', `${start.origin}/robots.txt disallows ${config.startUrl} for user agent ${JSON.stringify(config.userAgent)}`);
      }
      if (rules.crawlDelaySeconds !== undefined) limiter.setMinInterval(rules.crawlDelaySeconds * 1000);

      const totals: PollResult = { emitted: 0, skipped: 0, rejected: 0 };
      const visited = new Set<string>();
      let url: string | undefined = start.toString();
      let pages = 0;
      while (url !== undefined && pages < config.maxPages) {
        const target: URL = new URL(url);
        if (target.origin !== start.origin) {
          ctx.logger.warn({ source: config.name, url }, `next page ${url} is on another site; the crawl stops here`);
          break;
        }
        if (!rules.isAllowed(target.pathname + target.search)) {
          ctx.logger.warn({ source: config.name, url }, `robots.txt disallows ${url}; the crawl stops here`);
          break;
        }
        if (visited.has(url)) break;
        visited.add(url);
        let page: Awaited<ReturnType<typeof crawlPage>>;
        try {
          page = await crawlPage(url, signal);
        } catch (error) {
          // Stopped mid-crawl: what the pages before this one sent is sent and fingerprinted, so say so.
          if (signal.aborted) break;
          throw error;
        }
        pages += 1;
        totals.emitted += page.emitted;
        totals.skipped += page.skipped;
        totals.rejected += page.rejected;
        url = page.nextUrl;
      }

      const namespace = progressNamespace(config.name);
      const saved = await ctx.state.get(namespace, PROGRESS_KEY);
      const progress = saved === undefined ? { crawls: 0 } : (JSON.parse(saved.toString('utf8')) as ScraperProgress);
      const next: ScraperProgress = { crawls: progress.crawls + 1, lastCrawlAt: new Date().toISOString(), lastCrawlPages: pages };
      await ctx.state.commit(namespace, new Map([[PROGRESS_KEY, Buffer.from(JSON.stringify(next))]]));
      return totals;
    },
    async close() {
      await producer?.close();
      producer = undefined;
    },
  };
}
