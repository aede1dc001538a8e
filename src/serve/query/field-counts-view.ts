/** The merged view of a field count (field-counts.ts): the count per value of the field, optionally of one value. */
import { z } from 'zod';
import type { Lake } from '../../lake/lake.ts';
import type { Sink } from '../../sinks/sink.ts';
import { readFieldCounts, recomputeFieldCounts, type WithTables } from './field-counts-batch.ts';
import { asRealtimeRow, bucketSize, mergeCounts, type FieldCountsOptions } from './field-counts.ts';
import { describeAsOf, type MergedView, type QueryResult, type ViewRunOptions } from './view.ts';

export interface FieldCountsViewDeps {
  lake: Lake;
  /** The lake's tables, where the batch view is (`ctx.withTables`). */
  withTables: WithTables;
  /** The real-time view's sink (`realtimeTable(options)`), not yet open; the view opens and closes it. */
  sink: Sink;
  description?: string;
}

export function fieldCountsView(options: FieldCountsOptions, deps: FieldCountsViewDeps): MergedView {
  const field = options.field;
  const countColumn = options.countColumn ?? 'count';
  const params = z.strictObject({ [field]: z.string().min(1).optional() });
  let opened: Promise<void> | undefined;
  return {
    name: options.name,
    description: deps.description ?? `records of ${options.topic} per ${field}: batch view up to its high-watermark, real-time view after it`,
    params,
    async run(input, runOptions: ViewRunOptions = {}): Promise<QueryResult> {
      const only = (params.parse(input) as Record<string, string | undefined>)[field];
      const { asOf } = runOptions;
      await (opened ??= deps.sink.open());
      // The real-time rows first: a batch view published meanwhile has a higher T and simply
      // covers more of them; the other order could miss records between the two reads. As of a
      // past version of the batch view, it alone answers.
      const realtime = asOf ? [] : (await deps.sink.scan()).map(asRealtimeRow);
      const batch = await readFieldCounts(deps.withTables, options, asOf);
      const merged = mergeCounts(batch, realtime, bucketSize(options));
      const rows = [...merged.counts]
        .filter(([value]) => only === undefined || value === only)
        .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
        .map(([value, count]) => ({ [field]: value, [countColumn]: count }));
      return {
        view: options.name,
        columns: [field, countColumn],
        rows,
        asOf: {
          topic: options.topic,
          covered: Object.fromEntries(merged.covered),
          batch: { offsets: Object.fromEntries(batch.offsets), computed: batch.computed, ...(batch.snapshot === undefined ? {} : { snapshot: batch.snapshot }), ...(asOf ? { asOf: describeAsOf(asOf) } : {}) },
          realtime: Object.fromEntries(merged.realtime),
        },
      };
    },
    async recompute() {
      await recomputeFieldCounts(deps.lake, deps.withTables, options);
    },
    async close() {
      await deps.sink.close();
    },
  };
}
