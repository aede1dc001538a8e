/**
 * Toronto open data and Kijiji rentals, batch and speed halves in one module:
 *
 *   CKAN portal (emulator) ─daily─► toronto-abe ─► raw/apartment-building-evaluation ─► toronto-apartments (clean)
 *       ─► processed/toronto_apartments ─► toronto-scores-by-ward ─► curated/toronto_scores_by_ward
 *
 *   Kijiji search (emulator, prices change) ─every minute─► kijiji-scrape (fingerprints of (ad id, price) in the
 *       state store: only new or re-priced ads) ─► topic kijiji.listings ─┬─► kijiji-current ─► table kijiji_current_listings
 *                                                                        ├─► kijiji-price-history ─► table kijiji_price_history ─┐
 *                                                                        └─► archiver ─► raw ─► kijiji-listings-clean ─►          │
 *       processed/kijiji_listings ─daily─► kijiji-listings-per-area ─► curated/kijiji_listings_per_area ─┴─► view rentals-per-area
 *
 * Run it: `npx tributary dev examples/toronto-kijiji`. Settings: settings.ts.
 */
import { ckanSource, definePipeline, KIJIJI_SEARCH_PATH, scraperSource, source, type Schedule, type SourceDeclaration } from 'tributary';
import { emulatorEndpoint, viaEmulator } from './emulated/emulator-endpoint.ts';
import { CKAN_PACKAGE, ckanEmulatorService, kijijiEmulatorService } from './emulated/services.ts';
import { currentListingsJob, LISTINGS_TOPIC, listingsTopic, priceHistoryJob } from './listings.ts';
import { rentalsPerArea } from './listings-view.ts';
import { listingsCleanJob, listingsPerAreaJob, scoresByWardJob } from './rollups.ts';
import { batchSchedule, readSettings } from './settings.ts';
import { torontoApartmentsJob } from './toronto-job.ts';

const settings = readSettings();
const onPort = (port: number | undefined, path = '') => (port === undefined ? undefined : `http://127.0.0.1:${port}${path}`);
const ckan = emulatorEndpoint('toronto-ckan', onPort(settings.TORONTO_CKAN_EMULATOR_PORT));
const kijiji = emulatorEndpoint('kijiji', onPort(settings.KIJIJI_EMULATOR_PORT, KIJIJI_SEARCH_PATH));

const DAILY = 24 * 3_600_000;
const ckanConfig = (baseUrl: string) => ({ name: 'toronto-abe', baseUrl, package: CKAN_PACKAGE, formats: ['CSV'] });
const scrapeConfig = (startUrl: string) => ({ name: 'kijiji-scrape', startUrl, topic: LISTINGS_TOPIC, maxPages: settings.KIJIJI_PAGES, userAgent: 'TributaryExample/1.0' });
// The local emulator may be crawled fast; another site gets the scraper's default manners (1 request/s).
const emulatorScrapeConfig = (startUrl: string) => ({ ...scrapeConfig(startUrl), rateLimit: { requestsPerSecond: 50, burst: 10 } });

const downloadDescription = `the CKAN package ${CKAN_PACKAGE} into the raw zone, once at start and then daily`;
const download: SourceDeclaration =
  settings.TORONTO_CKAN_URL === undefined
    ? source({ name: 'toronto-abe', description: downloadDescription, component: viaEmulator(ckanSource, ckan, ckanConfig), config: { name: 'toronto-abe' }, schedule: { everyMs: DAILY }, writesTo: 'lake' })
    : source({ name: 'toronto-abe', description: downloadDescription, component: ckanSource, config: ckanConfig(settings.TORONTO_CKAN_URL), schedule: { everyMs: DAILY }, writesTo: 'lake' });

const scrapeDescription = 'the Kijiji search, page by page; only new or re-priced ads go to kijiji.listings';
const scrapeSchedule: Schedule = settings.KIJIJI_SCRAPE_EVERY_MS === undefined ? { cron: '* * * * *' } : { everyMs: settings.KIJIJI_SCRAPE_EVERY_MS };
const scrape: SourceDeclaration =
  settings.KIJIJI_START_URL === undefined
    ? source({ name: 'kijiji-scrape', description: scrapeDescription, component: viaEmulator(scraperSource, kijiji, emulatorScrapeConfig), config: { name: 'kijiji-scrape' }, schedule: scrapeSchedule })
    : source({ name: 'kijiji-scrape', description: scrapeDescription, component: scraperSource, config: scrapeConfig(settings.KIJIJI_START_URL), schedule: scrapeSchedule });

const everyTenMinutes = { everyMs: 10 * 60_000 };

export default definePipeline({
  name: 'toronto-kijiji',
  description: 'Toronto apartment evaluations (CKAN → raw → clean → score by ward and year) and Kijiji rentals (scrape → topic → current listings, price history → per-area view)',
  topics: [listingsTopic],
  sources: [download, scrape],
  streamJobs: [currentListingsJob, priceHistoryJob],
  batchJobs: [
    { job: torontoApartmentsJob(), schedule: batchSchedule(settings, everyTenMinutes) },
    { job: scoresByWardJob, schedule: batchSchedule(settings, everyTenMinutes) },
    { job: listingsCleanJob, schedule: batchSchedule(settings, everyTenMinutes) },
    { job: listingsPerAreaJob, schedule: batchSchedule(settings, { cron: '0 1 * * *', timezone: 'America/Toronto' }) },
  ],
  views: [rentalsPerArea],
  services: [
    ...(settings.TORONTO_CKAN_URL === undefined ? [ckanEmulatorService(ckan, settings.TORONTO_CKAN_EMULATOR_PORT)] : []),
    ...(settings.KIJIJI_START_URL === undefined ? [kijijiEmulatorService(kijiji, { pages: settings.KIJIJI_PAGES, repriceEveryMs: settings.KIJIJI_REPRICE_EVERY_MS, repriceAds: 4, ...(settings.KIJIJI_EMULATOR_PORT === undefined ? {} : { port: settings.KIJIJI_EMULATOR_PORT }) })] : []),
  ],
  dashboards: [
    {
      name: 'toronto-kijiji',
      title: 'Toronto evaluations and Kijiji rentals',
      charts: [
        { title: 'Mean evaluation score by ward', kind: 'bar', sql: 'SELECT ward_name, round(avg(mean_score), 1) AS mean_score FROM toronto_scores_by_ward GROUP BY ward_name ORDER BY mean_score', x: 'ward_name', y: 'mean_score' },
        { title: 'Evaluations per year', kind: 'line', sql: 'SELECT year, sum(evaluations) AS evaluations FROM toronto_scores_by_ward GROUP BY year ORDER BY year', x: 'year', y: 'evaluations' },
        { title: 'Kijiji ads per area', kind: 'bar', sql: 'SELECT area, listings, price_changes FROM "rentals-per-area"', x: 'area', y: ['listings', 'price_changes'] },
        { title: 'Current ads', kind: 'number', sql: 'SELECT count(*) AS ads FROM kijiji_current_listings' },
      ],
    },
  ],
});
