/**
 * The serving view `posts-per-category`: cleaned pins per category, merged from the two layers that
 * clean with `cleanPin`:
 *
 * - batch half: `processed/pinterest_pins`, written by the hourly `pinterest-clean-batch` job from the
 *   raw zone, up to its high-watermark T_p: one past the last offset of partition p it holds;
 * - real-time half: the `pinterest-clean` stream job's table `pinterest_pins`, its rows at offsets ≥ T_p.
 *
 * Both halves hold the same pins (the same function kept or dropped each record), so each pin is
 * counted once: by the batch below T_p, by the stream job from T_p on. A pin is placed by its log
 * position, which both tables keep in `source` (`<topic>/<partition>/<offset>`).
 */
import { describeAsOf, z, type Cell, type MergedView, type PipelineContext, type QueryResult, type ViewDeclaration, type ViewRunOptions } from 'tributary';
import { cleanBatchJob } from './batch.ts';
import { PIN_TOPIC, pinsTable } from './pins.ts';

export const POSTS_VIEW = 'posts-per-category';

export interface PlacedPin {
  category: string;
  partition: number;
  offset: number;
}

/** `pinterest.pins/2/381` → partition 2, offset 381. */
export function position(source: unknown): { partition: number; offset: number } {
  const parts = String(source).split('/');
  return { partition: Number(parts.at(-2)), offset: Number(parts.at(-1)) };
}

/** The merge apart from reading: counts per category, and each partition's high-watermark. */
export function mergePosts(batch: readonly PlacedPin[], live: readonly PlacedPin[]): { counts: Map<string, number>; watermark: Map<number, number> } {
  const watermark = new Map<number, number>();
  for (const pin of batch) watermark.set(pin.partition, Math.max(watermark.get(pin.partition) ?? 0, pin.offset + 1));
  const counts = new Map<string, number>();
  for (const pin of batch) counts.set(pin.category, (counts.get(pin.category) ?? 0) + 1);
  for (const pin of live) if (pin.offset >= (watermark.get(pin.partition) ?? 0)) counts.set(pin.category, (counts.get(pin.category) ?? 0) + 1);
  return { counts, watermark };
}

const params = z.strictObject({ category: z.string().min(1).optional() });

function postsView(ctx: PipelineContext, job: string): MergedView {
  // The stream job's name: the sink keeps positions per job and table, and the view reports that job's.
  const sink = ctx.sinkFor(pinsTable, job);
  let opened: Promise<void> | undefined;
  return {
    name: POSTS_VIEW,
    description: 'Pinterest posts per category: the batch-cleaned pins up to their high-watermark, the stream-cleaned pins after it',
    params,
    async run(input, options: ViewRunOptions = {}): Promise<QueryResult> {
      const { category } = params.parse(input);
      const { asOf } = options;
      await (opened ??= sink.open());
      // The live rows first: a batch run published meanwhile has a higher watermark and covers more of them.
      // As of a past snapshot, the batch half alone answers.
      const positions = asOf ? [] : await sink.positions();
      const live = asOf ? [] : (await sink.scan()).map((row): PlacedPin => ({ category: String(row.category), ...position(row.source) }));
      const output = cleanBatchJob.output;
      const rows = (await ctx.queryTable?.('processed', output.dataset, 'SELECT category, source FROM t', asOf ? { asOf } : {})) ?? [];
      const batch = rows.map((row): PlacedPin => ({ category: String(row.category), ...position(row.source) }));
      const { counts, watermark } = mergePosts(batch, live);
      const realtime: Record<string, number> = {};
      for (const p of positions) if (p.topic === PIN_TOPIC) realtime[String(p.partition)] = p.offset;
      const covered: Record<string, number> = { ...realtime };
      for (const [p, t] of watermark) covered[String(p)] = Math.max(covered[String(p)] ?? 0, t);
      const answer: Record<string, Cell>[] = [...counts]
        .filter(([name]) => category === undefined || name === category)
        .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
        .map(([name, posts]) => ({ category: name, posts }));
      return {
        view: POSTS_VIEW,
        columns: ['category', 'posts'],
        rows: answer,
        asOf: { topic: PIN_TOPIC, covered, batch: { offsets: Object.fromEntries([...watermark].map(([p, t]) => [String(p), t])), computed: null, ...(asOf ? { asOf: describeAsOf(asOf) } : {}) }, realtime },
      };
    },
    async close() {
      if (opened) await opened.catch(() => undefined);
      await sink.close();
    },
  };
}

export function postsPerCategory(job: string): ViewDeclaration {
  return { name: POSTS_VIEW, description: 'Pinterest posts per category (batch-cleaned pins up to the high-watermark, stream-cleaned after it)', create: (ctx) => postsView(ctx, job) };
}
