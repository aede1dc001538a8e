/**
 * The views the serving layer has out of the box, opened on the configured lake and sinks: for the
 * `tributary query` command and the server's `GET /query/<view>`.
 *
 * - `posts-per-category`: Pinterest posts per category, over the demo's raw pins topic (what the
 *   demo's archiver puts in the raw zone), with real-time buckets of 1,000 offsets.
 */
import type { Config } from '../../config/schema.ts';
import { PIN_TOPIC } from '../../demo/pinterest.ts';
import { openLake } from '../../lake/open-lake.ts';
import { createSink } from '../../sinks/create-sink.ts';
import type { ServerPlugin } from '../server.ts';
import { categoryCountsView } from './category-counts-view.ts';
import { realtimeTable, type CategoryCountsOptions } from './category-counts.ts';
import { createQueryService, type QueryService } from './query.ts';
import { queryRoutes } from './query-routes.ts';

export const postsPerCategory: CategoryCountsOptions = { name: 'posts-per-category', topic: PIN_TOPIC, bucketOffsets: 1000 };

export async function openQueryService(config: Readonly<Config>, options: { cwd?: string } = {}): Promise<QueryService> {
  const lake = await openLake(config, options);
  const sink = createSink(config, realtimeTable(postsPerCategory), { job: postsPerCategory.name }, options);
  const service = createQueryService([categoryCountsView(postsPerCategory, { lake, sink, description: 'Pinterest posts per category (batch view up to its high-watermark, real-time after it)' })]);
  return {
    ...service,
    async close() {
      await service.close();
      await lake.close();
    },
  };
}

/** `GET /query/<view>` on the server, with the views above; closed with the server. */
export function queryServerPlugin(config: Readonly<Config>, options: { cwd?: string } = {}): ServerPlugin {
  return (app) => {
    void app.register(async (instance) => {
      const service = await openQueryService(config, options);
      instance.addHook('onClose', () => service.close());
      await queryRoutes(instance, { service });
    });
  };
}
