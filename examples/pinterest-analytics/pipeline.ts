/**
 * The AiCore Pinterest pipeline: pins, their geolocations and their users on three topics.
 *
 *   AiCore poster ─HTTP─► /ingest/pinterest-analytics.{pins,geo,users} ─► log ─┬─► clean-{pins,geo,users} ─► pinterest-analytics.cleaned
 *                                                                               │        ─► pinterest-analytics-join (window join by ind) ─► table pinterest_enriched
 *                                                                               └─► archiver ─► raw zone ─► batch clean ─► processed/pinterest_analytics_{pins,geo,users}
 *                                                                                                          ─► analytics ─► curated/{popular_category_by_country, …}
 *
 * Run it: `npx tributary dev examples/pinterest-analytics`. Every component reports Prometheus
 * metrics on the server's /metrics; deploy/ holds a Prometheus config and Grafana dashboards for them.
 */
import { definePipeline } from 'tributary';
import { analyticsJobs } from './analytics.ts';
import { cleanGeoBatch, cleanPinsBatch, cleanUsersBatch } from './batch.ts';
import { aicorePoster } from './emulator.ts';
import { cleanedTopic, geoTopic, pinTopic, userTopic } from './shapes.ts';
import { cleanJobs, joinJob } from './stream.ts';
import { uiDashboards } from './ui-dashboards.ts';

/** Pins a second the emulator posts (each with its geolocation and user); `PINTEREST_ANALYTICS_RATE` overrides it, 0 turns it off. */
const rate = Number(process.env.PINTEREST_ANALYTICS_RATE ?? 20);
/** Stop posting after this many pins (default: never). */
const events = process.env.PINTEREST_ANALYTICS_EVENTS === undefined ? undefined : Number(process.env.PINTEREST_ANALYTICS_EVENTS);

/** Run every batch job this often instead of on its cron (the tests use a few seconds). */
const batchEveryMs = process.env.PINTEREST_ANALYTICS_BATCH_EVERY_MS === undefined ? undefined : Number(process.env.PINTEREST_ANALYTICS_BATCH_EVERY_MS);
const every = (cron: string) => (batchEveryMs === undefined ? { cron } : { everyMs: batchEveryMs });

export default definePipeline({
  name: 'pinterest-analytics',
  description: 'Pins, geolocations and users on three topics, cleaned, joined by ind in a window, and analysed in the lake; Prometheus metrics and Grafana dashboards',
  topics: [pinTopic, geoTopic, userTopic, cleanedTopic],
  streamJobs: [...cleanJobs, joinJob],
  batchJobs: [
    ...[cleanPinsBatch, cleanGeoBatch, cleanUsersBatch].map((job) => ({ job, schedule: every('*/5 * * * *') })),
    ...analyticsJobs.map((job) => ({ job, schedule: every('2-59/5 * * * *') })),
  ],
  services: rate > 0 ? [aicorePoster(rate, events)] : [],
  dashboards: uiDashboards,
});
