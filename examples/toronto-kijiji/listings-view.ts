/**
 * The serving view `rentals-per-area`: per area, the ads listed and their re-pricings, merged from the
 * batch rollup (curated/kijiji_listings_per_area) up to its high-watermark and the live price history
 * (the `kijiji-price-history` stream job's table) after it.
 *
 * Merge, per log partition p of `kijiji.listings`, with T_p the rollup's `through` (0 before the
 * first rollup):
 *   listings(area) = batch ads(area, p) + distinct live ads first seen (`new`) at offsets ≥ T_p
 *   price_changes(area) = batch reprices(area, p) + live `updated` records at offsets ≥ T_p
 * summed over p. Every record is in exactly one term: the rollup covers offsets below T_p, the live
 * half those from T_p on.
 */
import { describeAsOf, z, type Cell, type MergedView, type PipelineContext, type QueryResult, type ViewDeclaration, type ViewRunOptions } from 'tributary';
import { LISTINGS_TOPIC, priceHistoryJob, priceHistoryTable } from './listings.ts';

export const RENTALS_VIEW = 'rentals-per-area';

interface AreaCounts {
  listings: number;
  price_changes: number;
}

export interface BatchRow {
  area: string;
  partition: number;
  ads: number;
  reprices: number;
  through: number;
  computed_at: string | null;
}

export interface LiveRow {
  id: string;
  area: string;
  change: string;
  partition: number;
  offset: number;
}

/** The merge itself, apart from reading: what the view answers for these halves. */
export function mergeRentals(batch: readonly BatchRow[], live: readonly LiveRow[]): { counts: Map<string, AreaCounts>; watermark: Map<number, number> } {
  const watermark = new Map<number, number>();
  for (const row of batch) watermark.set(row.partition, Math.max(watermark.get(row.partition) ?? 0, row.through));
  const counts = new Map<string, AreaCounts>();
  const of = (area: string) => counts.get(area) ?? counts.set(area, { listings: 0, price_changes: 0 }).get(area)!;
  for (const row of batch) {
    const c = of(row.area);
    c.listings += row.ads;
    c.price_changes += row.reprices;
  }
  const newAds = new Map<string, Set<string>>();
  for (const row of live) {
    if (row.offset < (watermark.get(row.partition) ?? 0)) continue;
    if (row.change === 'new') (newAds.get(row.area) ?? newAds.set(row.area, new Set()).get(row.area)!).add(row.id);
    else of(row.area).price_changes += 1;
  }
  for (const [area, ids] of newAds) of(area).listings += ids.size;
  return { counts, watermark };
}

const params = z.strictObject({ area: z.string().min(1).optional() });

function rentalsView(ctx: PipelineContext): MergedView {
  // The stream job's name: the sink keeps positions per job and table, and the view reads that job's.
  const sink = ctx.sinkFor(priceHistoryTable, priceHistoryJob.name);
  let opened: Promise<void> | undefined;
  return {
    name: RENTALS_VIEW,
    description: 'Kijiji ads and re-pricings per area: the daily rollup up to its high-watermark, the live price history after it',
    params,
    async run(input, options: ViewRunOptions = {}): Promise<QueryResult> {
      const { area } = params.parse(input);
      const { asOf } = options;
      await (opened ??= sink.open());
      // The live rows first: a rollup published meanwhile has a higher watermark and covers more of them.
      // As of a past snapshot, the rollup alone answers.
      const positions = asOf ? [] : await sink.positions();
      const live = asOf ? [] : (await sink.scan()).map((r) => ({ id: String(r.id), area: String(r.area), change: String(r.change), partition: Number(r.partition), offset: Number(r.offset) }));
      const batch = ((await ctx.queryTable?.('curated', 'kijiji_listings_per_area', 'SELECT * FROM t', asOf ? { asOf } : {})) ?? []).map(
        (r): BatchRow => ({ area: String(r.area), partition: Number(r.partition), ads: Number(r.ads), reprices: Number(r.reprices), through: Number(r.through), computed_at: typeof r.computed_at === 'string' ? r.computed_at : null }),
      );
      const { counts, watermark } = mergeRentals(batch, live);
      const realtime: Record<string, number> = {};
      for (const p of positions) if (p.topic === LISTINGS_TOPIC) realtime[String(p.partition)] = p.offset;
      const covered: Record<string, number> = { ...realtime };
      for (const [p, t] of watermark) covered[String(p)] = Math.max(covered[String(p)] ?? 0, t);
      const rows: Record<string, Cell>[] = [...counts]
        .filter(([name]) => area === undefined || name === area)
        .sort(([a, x], [b, y]) => y.listings - x.listings || (a < b ? -1 : 1))
        .map(([name, c]) => ({ area: name, listings: c.listings, price_changes: c.price_changes }));
      return {
        view: RENTALS_VIEW,
        columns: ['area', 'listings', 'price_changes'],
        rows,
        asOf: { topic: LISTINGS_TOPIC, covered, batch: { offsets: Object.fromEntries([...watermark].map(([p, t]) => [String(p), t])), computed: batch[0]?.computed_at ?? null, ...(asOf ? { asOf: describeAsOf(asOf) } : {}) }, realtime },
      };
    },
    async close() {
      if (opened) await opened.catch(() => undefined);
      await sink.close();
    },
  };
}

export const rentalsPerArea: ViewDeclaration = { name: RENTALS_VIEW, description: 'Kijiji ads and re-pricings per area (batch rollup + live price history)', create: rentalsView };
