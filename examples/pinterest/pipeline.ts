/**
 * The Pinterest pipeline (the FastAPI + Spark + Postgres project, in one module):
 *
 *   pin poster ─HTTP─► POST /ingest/pinterest.pins ─► log ─┬─► pinterest-clean (cleanPin) ─► table pinterest_pins
 *                                                          ├─► posts-per-category (speed half)   ─┐
 *                                                          └─► archiver ─► raw zone ─┬─► pinterest-clean-batch ─► processed/pinterest_pins
 *                                                                                     └─► posts-per-category (batch half) ─┴─► view posts-per-category
 *
 * The stream job and the batch job clean with the same function, so the two layers agree by
 * construction. Run it: `npx tributary dev examples/pinterest`.
 */
import { definePipeline, fieldCounts, Pipeline, statelessJob } from 'tributary';
import { cleanBatchJob } from './batch.ts';
import { cleanPin } from './clean-pin.ts';
import { pinPoster } from './emulator.ts';
import { geoTopic, PIN_TOPIC, pinRow, pinsTable, pinTopic, rawPinSchema, userTopic } from './pins.ts';

/** Pins per second the emulator posts; `PINTEREST_RATE` overrides it. */
const rate = Number(process.env.PINTEREST_RATE ?? 50);

export const PIN_JOB = 'pinterest-clean';

export const pinPipeline = Pipeline.from(PIN_TOPIC, rawPinSchema)
  .map(cleanPin, 'clean-pin')
  .filter((pin) => pin.unique_id !== null, 'has-unique-id');

const postsPerCategory = fieldCounts({
  name: 'posts-per-category',
  topic: PIN_TOPIC,
  field: 'category',
  countColumn: 'posts',
  description: 'Pinterest posts per category (batch view up to its high-watermark, real-time after it)',
});

export default definePipeline({
  name: 'pinterest',
  description: 'Pins posted to the ingest API, cleaned into a table by a stream job and again in the lake by a batch job; posts per category merged from both layers',
  topics: [pinTopic, geoTopic, userTopic],
  streamJobs: [statelessJob({ name: PIN_JOB, pipeline: pinPipeline, output: { table: pinsTable, row: pinRow } })],
  batchJobs: [{ job: cleanBatchJob, schedule: { cron: '0 * * * *' } }],
  views: [postsPerCategory.view],
  services: [...(rate > 0 ? [pinPoster(rate)] : []), ...postsPerCategory.services],
});
