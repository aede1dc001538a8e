/**
 * The Pinterest stream job: raw pins from `pinterest.pins`, cleaned by `cleanPin`, into the view
 * `pinterest_pins` keyed by `unique_id`. A pin whose id is not a UUID has no key in the view and is
 * filtered (counted, not dead-lettered); a record that is not a pin at all fails the schema step and
 * goes to `pinterest-clean.dlq`.
 *
 * The default export makes this file a pipeline module too: `tributary worker src/demo/pinterest-job.ts`.
 */
import { Pipeline } from '../stream/pipeline.ts';
import { defineStreamJobs, statelessJob } from '../stream/jobs.ts';
import { cleanPin } from './clean-pin.ts';
import { PIN_TOPIC, pinRow, pinsTable, rawPinSchema } from './pinterest.ts';

export const PIN_JOB = 'pinterest-clean';

export const pinPipeline = Pipeline.from(PIN_TOPIC, rawPinSchema)
  .map(cleanPin, 'clean-pin')
  .filter((pin) => pin.unique_id !== null, 'has-unique-id');

export const pinterestJob = statelessJob({ name: PIN_JOB, pipeline: pinPipeline, output: { table: pinsTable, row: pinRow } });

export default defineStreamJobs([pinterestJob]);
