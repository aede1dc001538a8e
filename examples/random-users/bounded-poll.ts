/**
 * The seed's DAG streams users for one minute and stops: `httpPollSource` polled for a bounded
 * period. The period starts at the source's first poll in this process; after it every poll
 * returns `done` without a request, so the schedule keeps running but nothing more is fetched.
 */
import { httpPollSource, z, type SourceComponent } from 'tributary';

export const boundedPollConfigSchema = httpPollSource.configSchema.extend({
  durationMs: z.number().int().positive().describe('How long to poll for, from the first poll, in ms'),
});

export interface BoundedPollDeps {
  /** Milliseconds; default `Date.now`. */
  clock?: () => number;
}

export function boundedPoll(deps: BoundedPollDeps = {}): SourceComponent<typeof boundedPollConfigSchema> {
  const clock = deps.clock ?? Date.now;
  return {
    name: 'bounded-http-poll',
    configSchema: boundedPollConfigSchema,
    create({ durationMs, ...config }, ctx) {
      const inner = httpPollSource.create(config, ctx);
      let startedAt: number | undefined;
      return {
        name: inner.name,
        async poll(signal) {
          startedAt ??= clock();
          if (clock() - startedAt >= durationMs) return { emitted: 0, skipped: 0, rejected: 0, done: true };
          return inner.poll(signal);
        },
        close: () => inner.close(),
      };
    },
  };
}
