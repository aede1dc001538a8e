/** The merged view of a category count (category-counts.ts): `posts` per `category`, optionally one category. */
import { z } from 'zod';
import type { Lake } from '../../lake/lake.ts';
import type { Sink } from '../../sinks/sink.ts';
import { readCategoryCounts, recomputeCategoryCounts } from './category-counts-batch.ts';
import { asRealtimeRow, bucketSize, mergeCounts, type CategoryCountsOptions } from './category-counts.ts';
import type { MergedView, QueryResult } from './view.ts';

export interface CategoryCountsViewDeps {
  lake: Lake;
  /** The real-time view's sink (`realtimeTable(options)`), not yet open; the view opens and closes it. */
  sink: Sink;
  description?: string;
}

const params = z.strictObject({ category: z.string().min(1).optional() });

export function categoryCountsView(options: CategoryCountsOptions, deps: CategoryCountsViewDeps): MergedView {
  let opened: Promise<void> | undefined;
  return {
    name: options.name,
    description: deps.description ?? `records of ${options.topic} per category: batch view up to its high-watermark, real-time view after it`,
    params,
    async run(input): Promise<QueryResult> {
      const { category } = params.parse(input);
      await (opened ??= deps.sink.open());
      // The real-time rows first: a batch view published meanwhile has a higher T and simply
      // covers more of them; the other order could miss records between the two reads.
      const realtime = (await deps.sink.scan()).map(asRealtimeRow);
      const batch = await readCategoryCounts(deps.lake, options);
      const merged = mergeCounts(batch, realtime, bucketSize(options));
      const rows = [...merged.counts]
        .filter(([c]) => category === undefined || c === category)
        .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
        .map(([c, posts]) => ({ category: c, posts }));
      return {
        view: options.name,
        columns: ['category', 'posts'],
        rows,
        asOf: {
          topic: options.topic,
          covered: Object.fromEntries(merged.covered),
          batch: { offsets: Object.fromEntries(batch.offsets), computed: batch.computed },
          realtime: Object.fromEntries(merged.realtime),
        },
      };
    },
    async recompute() {
      await recomputeCategoryCounts(deps.lake, options);
    },
    async close() {
      await deps.sink.close();
    },
  };
}
