/**
 * The Metrics page's history: every `everyMs` (default 5 s) the process's own metrics registry (the
 * one `/metrics` serves) is read and each series' value kept in memory for `keepMs` (default one
 * hour), in fixed rings, so memory stays bounded: at most `maxSeries` raw series (a histogram's
 * buckets count one each) of `keepMs / everyMs` numbers; series past the limit are left out and
 * counted (`droppedSeries`).
 *
 * Glossary:
 * - raw series: one metric name with one set of labels, as Prometheus would scrape it
 *   (`tributary_log_fsync_seconds_bucket{le="0.01",topic="pins"}`).
 * - derived series: what the page draws, computed between consecutive samples: a counter's `rate`
 *   (per second; a counter that went down was reset and counts from zero), a gauge's `value`, a
 *   histogram's observations per second (`rate`) and its `p50`, `p95` and `p99` over the interval
 *   (interpolated within buckets as Prometheus' histogram_quantile does; null without observations).
 *
 * Lifecycle: `startMetricsHistory(options)` samples at once and then on its timer; subscribers get
 * each new point of every derived series; `stop()` ends it. A failed read of the registry leaves
 * that sample out; it never throws.
 */
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { startSampler } from './sampler.ts';

export type Stat = 'rate' | 'value' | 'p50' | 'p95' | 'p99';

export interface DerivedSeries {
  /** `<metric>|<labels>|<stat>`, stable while the process runs. */
  id: string;
  labels: Record<string, string>;
  stat: Stat;
  /** One per time of the view (null: no value then). */
  values: Array<number | null>;
}

export interface MetricView {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  series: DerivedSeries[];
}

export interface MetricsView {
  everyMs: number;
  keepMs: number;
  /** The times of the derived points, oldest first (each the later sample of its interval). */
  times: number[];
  metrics: MetricView[];
  droppedSeries: number;
  /** Bytes the rings take now. */
  memoryBytes: number;
  /** `metrics.prometheusUrl`, when configured (added by the route). */
  prometheusUrl?: string;
}

export interface MetricsPoint {
  at: number;
  values: Record<string, number | null>;
}

export interface MetricsHistoryOptions {
  registry: Registry;
  everyMs?: number;
  keepMs?: number;
  maxSeries?: number;
}

export interface MetricsHistory {
  view(): MetricsView;
  subscribe(listener: (point: MetricsPoint) => void): () => void;
  stop(): void;
}

const QUANTILES: Array<[Stat, number]> = [['p50', 0.5], ['p95', 0.95], ['p99', 0.99]];

const labelText = (labels: Record<string, string | number>) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${String(labels[k])}`)
    .join(',');

/** The q-quantile of one interval's observations from the increase of each cumulative bucket. */
export function quantile(q: number, buckets: ReadonlyArray<{ le: number; count: number }>): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (!(total > 0)) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lower;
      return lower + ((b.le - lower) * (rank - below)) / Math.max(b.count - below, Number.EPSILON);
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

interface Raw {
  ring: Float64Array;
  lastSeen: number;
}

/** One metric's label sets, as the view groups its raw series. */
interface Group {
  name: string;
  help: string;
  type: MetricView['type'];
  /** labels text → labels and the raw keys: `value`, or a histogram's `sum`, `count` and buckets by le. */
  sets: Map<string, { labels: Record<string, string>; value?: string; count?: string; buckets: Map<number, string> }>;
}

export function startMetricsHistory(options: MetricsHistoryOptions): MetricsHistory {
  const everyMs = options.everyMs ?? 5000;
  const keepMs = options.keepMs ?? 3_600_000;
  const maxSeries = options.maxSeries ?? 2000;
  // One more sample than the points kept: a point needs the sample before it.
  const capacity = Math.max(2, Math.ceil(keepMs / everyMs) + 1);
  const times = new Float64Array(capacity);
  const raws = new Map<string, Raw>();
  const groups = new Map<string, Group>();
  let taken = 0;
  let dropped = 0;

  const slot = (n: number) => ((n % capacity) + capacity) % capacity;

  const record = (key: string, value: number, index: number): boolean => {
    let raw = raws.get(key);
    if (!raw) {
      if (raws.size >= maxSeries) return false;
      raw = { ring: new Float64Array(capacity).fill(Number.NaN), lastSeen: index };
      raws.set(key, raw);
    }
    raw.ring[slot(index)] = value;
    raw.lastSeen = index;
    return true;
  };

  const ingest = (metrics: MetricObjectWithValues<MetricValue<string>>[], index: number) => {
    const missed = new Set<string>();
    for (const m of metrics) {
      const type = m.type as unknown as MetricView['type'];
      let group = groups.get(m.name);
      if (!group) groups.set(m.name, (group = { name: m.name, help: m.help, type, sets: new Map() }));
      for (const v of m.values as Array<MetricValue<string> & { metricName?: string }>) {
        const metricName = v.metricName ?? m.name;
        const all = v.labels as Record<string, string | number>;
        const key = `${metricName}{${labelText(all)}}`;
        if (!record(key, v.value, index)) {
          missed.add(key);
          continue;
        }
        const { le, quantile: _q, ...rest } = all;
        const labels = Object.fromEntries(Object.entries(m.type === ('summary' as unknown) ? all : rest).map(([k, x]) => [k, String(x)]));
        const text = labelText(labels);
        let set = group.sets.get(text);
        if (!set) group.sets.set(text, (set = { labels, buckets: new Map() }));
        if (type !== 'histogram') set.value = key;
        else if (metricName.endsWith('_bucket')) set.buckets.set(le === '+Inf' ? Infinity : Number(le), key);
        else if (metricName.endsWith('_count')) set.count = key;
      }
    }
    dropped = missed.size;
    // Series not seen for a whole ring are forgotten.
    for (const [key, raw] of raws) if (index - raw.lastSeen >= capacity) raws.delete(key);
  };

  const at = (key: string | undefined, n: number): number => (key === undefined ? Number.NaN : (raws.get(key)?.ring[slot(n)] ?? Number.NaN));
  const clean = (x: number): number | null => (Number.isFinite(x) ? Number(x.toPrecision(10)) : null);

  /** The derived points of the interval that ends with sample `n`, one per (group, set, stat). */
  const derive = (n: number, emit: (group: Group, labels: Record<string, string>, stat: Stat, value: number | null) => void) => {
    const dt = (times[slot(n)]! - times[slot(n - 1)]!) / 1000;
    const increase = (key: string | undefined) => {
      const now = at(key, n);
      const before = at(key, n - 1);
      if (Number.isNaN(now)) return Number.NaN;
      if (Number.isNaN(before)) return Number.NaN;
      return now >= before ? now - before : now;
    };
    for (const group of groups.values()) {
      for (const set of group.sets.values()) {
        if (group.type === 'counter') emit(group, set.labels, 'rate', clean(increase(set.value) / dt));
        else if (group.type === 'histogram') {
          emit(group, set.labels, 'rate', clean(increase(set.count) / dt));
          const buckets = [...set.buckets].map(([le, key]) => ({ le, count: increase(key) }));
          const usable = buckets.every((b) => !Number.isNaN(b.count));
          for (const [stat, q] of QUANTILES) emit(group, set.labels, stat, usable ? clean(quantile(q, buckets) ?? Number.NaN) : null);
        } else emit(group, set.labels, 'value', clean(at(set.value, n)));
      }
    }
  };

  const idOf = (group: Group, labels: Record<string, string>, stat: Stat) => `${group.name}|${labelText(labels)}|${stat}`;

  const sampler = startSampler<MetricsPoint>(everyMs, async () => {
    const metrics = await options.registry.getMetricsAsJSON().catch(() => undefined);
    if (!metrics || sampler.stopped) return undefined;
    const index = taken;
    times[slot(index)] = Date.now();
    // The slot is reused: nothing from the sample it held may stay.
    for (const raw of raws.values()) raw.ring[slot(index)] = Number.NaN;
    ingest(metrics, index);
    taken += 1;
    if (index === 0) return undefined;
    const point: MetricsPoint = { at: times[slot(index)]!, values: {} };
    derive(index, (group, labels, stat, value) => (point.values[idOf(group, labels, stat)] = value));
    return point;
  });

  return {
    view() {
      const first = Math.max(1, taken - capacity + 1);
      const pointTimes: number[] = [];
      const series = new Map<string, { group: Group; s: DerivedSeries }>();
      for (let n = first; n < taken; n++) {
        const i = n - first;
        pointTimes.push(times[slot(n)]!);
        derive(n, (group, labels, stat, value) => {
          const id = idOf(group, labels, stat);
          let entry = series.get(id);
          if (!entry) series.set(id, (entry = { group, s: { id, labels, stat, values: new Array<number | null>(i).fill(null) } }));
          entry.s.values.push(value);
        });
      }
      const metrics = [...groups.values()]
        .map((g): MetricView => ({ name: g.name, help: g.help, type: g.type, series: [...series.values()].filter((e) => e.group === g).map((e) => e.s) }))
        .filter((m) => m.series.length > 0)
        .sort((a, b) => a.name.localeCompare(b.name));
      return { everyMs, keepMs, times: pointTimes, metrics, droppedSeries: dropped, memoryBytes: (raws.size + 1) * capacity * 8 };
    },
    subscribe: (listener) => sampler.subscribe(listener),
    stop: () => sampler.stop(),
  };
}
