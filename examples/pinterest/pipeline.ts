/**
 * The Pinterest pipeline (the FastAPI + Spark + Postgres project, in one module):
 *
 *   pin poster ─HTTP─► POST /ingest/pinterest.pins ─► log ─┬─► pinterest-clean (cleanPin) ─► table pinterest_pins (speed half) ─────────┐
 *                                                          └─► archiver ─► raw zone ─hourly─► pinterest-clean-batch (cleanPin) ─►        │
 *                                                              processed/pinterest_pins (batch half) ─┴─► view posts-per-category
 *
 * The stream job and the batch job clean with the same function, so the two layers agree by
 * construction. Run it: `npx tributary dev examples/pinterest`.
 */
import { definePipeline, Pipeline, statelessJob } from 'tributary';
import { cleanBatchJob } from './batch.ts';
import { cleanPin } from './clean-pin.ts';
import { pinPoster } from './emulator.ts';
import { geoTopic, PIN_TOPIC, pinRow, pinsTable, pinTopic, rawPinSchema, userTopic } from './pins.ts';
import { postsPerCategory } from './posts-view.ts';

/** Pins per second the emulator posts; `PINTEREST_RATE` overrides it. */
const rate = Number(process.env.PINTEREST_RATE ?? 50);

/** The batch job runs hourly; `PINTEREST_BATCH_EVERY_MS` runs it on that interval instead. */
const batchEvery = process.env.PINTEREST_BATCH_EVERY_MS;

export const PIN_JOB = 'pinterest-clean';

export const pinPipeline = Pipeline.from(PIN_TOPIC, rawPinSchema)
  .map(cleanPin, 'clean-pin')
  .filter((pin) => pin.unique_id !== null, 'has-unique-id');

export default definePipeline({
  name: 'pinterest',
  description: 'Pins posted to the ingest API, cleaned into a table by a stream job and again in the lake by a batch job; posts per category merged from both layers',
  topics: [pinTopic, geoTopic, userTopic],
  streamJobs: [statelessJob({ name: PIN_JOB, pipeline: pinPipeline, output: { table: pinsTable, row: pinRow } })],
  batchJobs: [{ job: cleanBatchJob, schedule: batchEvery ? { everyMs: Number(batchEvery) } : { cron: '0 * * * *' } }],
  views: [postsPerCategory(PIN_JOB)],
  services: rate > 0 ? [pinPoster(rate)] : [],
});
