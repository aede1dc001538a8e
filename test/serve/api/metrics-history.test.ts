/**
 * The Metrics page's history over a real prom-client registry: counters become rates, gauges
 * values, histograms rates and percentiles; the rings stay within their capacity and series limit;
 * each new point reaches subscribers; and the routes serve both, with the Prometheus link.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.ts';
import { createLogger } from '../../../src/logger.ts';
import { quantile, startMetricsHistory, type MetricsHistory, type MetricsPoint } from '../../../src/serve/api/metrics-history.ts';
import { metricsRoutes } from '../../../src/serve/api/metrics-routes.ts';
import { createServer, serverPlugin } from '../../../src/serve/server.ts';

const histories: MetricsHistory[] = [];
afterEach(() => {
  for (const h of histories.splice(0)) h.stop();
});

function setup(options: { everyMs?: number; keepMs?: number; maxSeries?: number } = {}) {
  const registry = new Registry();
  const records = new Counter({ name: 'test_records_total', help: 'Records.', labelNames: ['topic'] as const, registers: [registry] });
  const depth = new Gauge({ name: 'test_queue_depth', help: 'Depth.', registers: [registry] });
  const latency = new Histogram({ name: 'test_latency_seconds', help: 'Latency.', buckets: [0.01, 0.1, 1], registers: [registry] });
  const history = startMetricsHistory({ registry, everyMs: options.everyMs ?? 40, keepMs: options.keepMs ?? 400, ...(options.maxSeries ? { maxSeries: options.maxSeries } : {}) });
  histories.push(history);
  const points: MetricsPoint[] = [];
  history.subscribe((p) => points.push(p));
  return { registry, records, depth, latency, history, points };
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('metrics history', () => {
  it('should interpolate a quantile within its bucket, as histogram_quantile does', () => {
    const buckets = [{ le: 0.1, count: 50 }, { le: 1, count: 100 }, { le: Infinity, count: 100 }];
    expect(quantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(quantile(0.75, buckets)).toBeCloseTo(0.55);
    expect(quantile(0.25, buckets)).toBeCloseTo(0.05);
    expect(quantile(0.99, [{ le: 1, count: 1 }, { le: Infinity, count: 10 }])).toBe(1);
    expect(quantile(0.5, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])).toBeNull();
  });

  it('should turn a counter into a rate, keep a gauge as is, and give a histogram its percentiles', async () => {
    const { records, depth, latency, history, points } = setup();
    // Two points in which the counter grew by 10 and 100 ms latencies were observed.
    let rounds = 0;
    const feed = setInterval(() => {
      rounds += 1;
      records.inc({ topic: 'pins' }, 10);
      depth.set(rounds);
      for (let i = 0; i < 9; i++) latency.observe(0.05);
      latency.observe(0.5);
    }, 15);
    try {
      await until('three points', () => points.length >= 3);
    } finally {
      clearInterval(feed);
    }
    const view = history.view();
    expect(view.times.length).toBeGreaterThanOrEqual(3);
    const metric = (name: string) => view.metrics.find((m) => m.name === name)!;
    const rate = metric('test_records_total').series.find((s) => s.stat === 'rate')!;
    expect(rate.labels).toEqual({ topic: 'pins' });
    expect(rate.id).toBe('test_records_total|topic=pins|rate');
    // About 10 per 15 ms: hundreds per second; never negative.
    const rates = rate.values.filter((v): v is number => v !== null);
    expect(Math.max(...rates)).toBeGreaterThan(100);
    expect(Math.min(...rates)).toBeGreaterThanOrEqual(0);
    const gauge = metric('test_queue_depth').series;
    expect(gauge.map((s) => s.stat)).toEqual(['value']);
    expect(gauge[0]!.values.at(-1)).toBeGreaterThan(0);
    const stats = metric('test_latency_seconds').series.map((s) => s.stat);
    expect(stats).toEqual(['rate', 'p50', 'p95', 'p99']);
    const p50 = metric('test_latency_seconds').series.find((s) => s.stat === 'p50')!.values.filter((v): v is number => v !== null);
    const p99 = metric('test_latency_seconds').series.find((s) => s.stat === 'p99')!.values.filter((v): v is number => v !== null);
    // 90% at 50 ms (bucket 10–100 ms), 10% at 500 ms (bucket 100 ms–1 s).
    expect(p50.length).toBeGreaterThan(0);
    for (const v of p50) expect(v > 0.01 && v <= 0.1, `p50 ${v}`).toBe(true);
    for (const v of p99) expect(v > 0.1 && v <= 1, `p99 ${v}`).toBe(true);
    // The pushed point carries the same series ids.
    expect(Object.keys(points.at(-1)!.values)).toEqual(expect.arrayContaining([rate.id, gauge[0]!.id]));
  });

  it('should keep no more than keepMs of points, and no more than maxSeries raw series', async () => {
    const { registry, history, points } = setup({ everyMs: 20, keepMs: 100, maxSeries: 8 });
    const wide = new Gauge({ name: 'test_wide', help: 'Many series.', labelNames: ['n'] as const, registers: [registry] });
    for (let n = 0; n < 20; n++) wide.set({ n: String(n) }, n);
    await until('twelve points', () => points.length >= 12);
    const view = history.view();
    // 100 ms of 20 ms samples: 5 points (6 samples in the ring).
    expect(view.times.length).toBe(5);
    for (const m of view.metrics) for (const s of m.series) expect(s.values).toHaveLength(5);
    const raw = view.metrics.reduce((n, m) => n + (m.type === 'histogram' ? 0 : m.series.length), 0);
    expect(raw).toBeLessThanOrEqual(8);
    expect(view.droppedSeries).toBeGreaterThan(0);
    expect(view.memoryBytes).toBeLessThanOrEqual(9 * 6 * 8);
  });

  it('should serve the view and the Prometheus link, and push points as server-sent events', async () => {
    const { history, records } = setup();
    const app = createServer({
      server: configSchema.parse({}).server,
      logger: await createLogger({ level: 'silent' }),
      plugins: [serverPlugin(metricsRoutes, { history, prometheusUrl: 'http://127.0.0.1:9090' })],
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const feed = setInterval(() => records.inc({ topic: 'pins' }), 5);
      await until('the counter in the view', () => history.view().metrics.some((m) => m.name === 'test_records_total'));
      const body = (await (await fetch(`${url}/api/ui/metrics`)).json()) as { prometheusUrl: string; metrics: Array<{ name: string }>; everyMs: number };
      expect(body.prometheusUrl).toBe('http://127.0.0.1:9090');
      expect(body.everyMs).toBe(40);
      expect(body.metrics.map((m) => m.name)).toContain('test_records_total');
      const stop = new AbortController();
      const response = await fetch(`${url}/api/ui/metrics/events`, { signal: stop.signal });
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('event: metrics')) text += (await reader.read()).value ?? '';
      const data = JSON.parse(/event: metrics\ndata: (.*)\n/.exec(text)![1]!) as MetricsPoint;
      expect(data.values['test_records_total|topic=pins|rate']).toBeGreaterThan(0);
      stop.abort();
      clearInterval(feed);
    } finally {
      await app.close();
    }
  });
});
