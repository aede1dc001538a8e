/**
 * Metrics: charts of the process's own metrics over the last hour, as the server keeps them in memory
 * (sampled from its registry every 5 s): counters as rates per second, gauges as values, histograms
 * as p50/p95/p99. New points arrive over server-sent events; with `metrics.prometheusUrl` set, each
 * metric links to its graph in Prometheus.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../api.ts';
import { bytes, short } from '../format.ts';
import { TimeChart, type Line } from '../parts/time-chart.tsx';
import { followEvents } from '../sse.ts';
import type { MetricsPoint, MetricsView, MetricView } from '../types.ts';

/** At most this many lines in one chart: the largest ones now. */
const MAX_LINES = 8;

const labelText = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ') || 'all';
const last = (values: Array<number | null>) => {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i]!;
  return undefined;
};

function unitOf(m: MetricView): string {
  if (m.type === 'histogram') return m.name.endsWith('_seconds') ? 's' : '';
  if (m.type === 'counter') return '/s';
  return m.name.endsWith('_bytes') ? 'B' : '';
}

function show(value: number | undefined, m: MetricView): string {
  if (value === undefined) return '–';
  if (m.type === 'histogram' && m.name.endsWith('_seconds')) return value < 1 ? `${Number((value * 1000).toPrecision(3))} ms` : `${Number(value.toPrecision(3))} s`;
  if (m.type === 'counter') return `${value < 10 ? Number(value.toFixed(2)) : short(value)}/s`;
  return m.name.endsWith('_bytes') ? bytes(value) : value < 10 ? String(Number(value.toFixed(3))) : short(value);
}

/** The view, kept current: the points the server pushes are appended, the oldest dropped past the hour. */
function useMetrics() {
  const view = useQuery({ queryKey: ['metrics'], queryFn: () => api<MetricsView>('/api/ui/metrics') });
  const [live, setLive] = useState<MetricsView | undefined>();
  const [connected, setConnected] = useState(false);
  // The series ids the view has: a point with another one makes the page read the whole view again.
  const known = useRef(new Set<string>());
  const refetch = useRef(view.refetch);
  refetch.current = view.refetch;
  useEffect(() => {
    if (!view.data) return;
    known.current = new Set(view.data.metrics.flatMap((m) => m.series.map((s) => s.id)));
    setLive(view.data);
  }, [view.data]);
  useEffect(() => {
    const stop = new AbortController();
    const add = (point: MetricsPoint) => {
      if (Object.keys(point.values).some((id) => !known.current.has(id))) void refetch.current();
      setLive((prev) => {
        if (!prev || (prev.times.length > 0 && prev.times[prev.times.length - 1]! >= point.at)) return prev;
        const keep = Math.ceil(prev.keepMs / prev.everyMs);
        const cut = Math.max(0, prev.times.length + 1 - keep);
        const metrics = prev.metrics.map((m) => ({ ...m, series: m.series.map((s) => ({ ...s, values: [...s.values.slice(cut), point.values[s.id] ?? null] })) }));
        return { ...prev, times: [...prev.times.slice(cut), point.at], metrics };
      });
    };
    void followEvents<MetricsPoint>('/api/ui/metrics/events', stop.signal, add, setConnected);
    return () => stop.abort();
  }, []);
  return { view: live, error: view.error, connected };
}

function MetricCard({ m, times, prometheusUrl }: { m: MetricView; times: number[]; prometheusUrl: string | undefined }) {
  const sets = useMemo(() => [...new Set(m.series.map((s) => labelText(s.labels)))], [m.series]);
  const [chosen, setChosen] = useState<string | undefined>();
  const lines: Line[] = useMemo(() => {
    if (m.type === 'histogram') {
      // One label set at a time: its percentiles. Default: the busiest one.
      const rate = (set: string) => last(m.series.find((s) => s.stat === 'rate' && labelText(s.labels) === set)?.values ?? []) ?? 0;
      const set = chosen ?? [...sets].sort((a, b) => rate(b) - rate(a))[0];
      return m.series.filter((s) => s.stat !== 'rate' && labelText(s.labels) === set).map((s) => ({ name: s.stat, values: s.values }));
    }
    return [...m.series]
      .sort((a, b) => (last(b.values) ?? 0) - (last(a.values) ?? 0))
      .slice(0, MAX_LINES)
      .map((s) => ({ name: labelText(s.labels), values: s.values }));
  }, [m, sets, chosen]);
  const headline = m.type === 'histogram' ? last(lines.find((l) => l.name === 'p95')?.values ?? []) : m.series.reduce<number | undefined>((n, s) => (last(s.values) === undefined ? n : (n ?? 0) + last(s.values)!), undefined);
  return (
    <section className="card metric" data-metric={m.name} aria-label={`metric ${m.name}`}>
      <div className="metric-head">
        <div>
          <h2 className="mono">{m.name}</h2>
          <div className="muted small">{m.help}</div>
        </div>
        <div className="metric-now">
          <b data-latest>{show(headline, m)}</b>
          <span className="muted small">{m.type === 'histogram' ? 'p95 now' : m.type === 'counter' ? 'rate now, all series' : 'now, all series'}</span>
        </div>
      </div>
      <div className="toolbar small">
        <span className="badge muted">{m.type}</span>
        {m.type === 'histogram' && sets.length > 1 && (
          <select aria-label={`label set of ${m.name}`} value={chosen ?? ''} onChange={(e) => setChosen(e.target.value === '' ? undefined : e.target.value)}>
            <option value="">busiest</option>
            {sets.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        )}
        {m.type !== 'histogram' && m.series.length > MAX_LINES && <span className="muted">the {MAX_LINES} largest of {m.series.length} series</span>}
        {prometheusUrl && <a className="prom-link" href={`${prometheusUrl.replace(/\/+$/, '')}/graph?g0.expr=${encodeURIComponent(m.type === 'counter' ? `rate(${m.name}[1m])` : m.type === 'histogram' ? `histogram_quantile(0.95, rate(${m.name}_bucket[5m]))` : m.name)}&g0.tab=0`} target="_blank" rel="noreferrer">in Prometheus ↗</a>}
      </div>
      <TimeChart times={times} lines={lines} unit={unitOf(m)} label={`chart of ${m.name}`} />
    </section>
  );
}

export default function MetricsPage() {
  const { view, error, connected } = useMetrics();
  const [filter, setFilter] = useState('');
  const shown = (view?.metrics ?? []).filter((m) => m.name.includes(filter.trim()));
  return (
    <div className="page">
      <header className="page-head">
        <h1>Metrics</h1>
        <span className="muted">
          this process's own metrics, sampled every {view ? view.everyMs / 1000 : 5} s and kept in memory for {view ? Math.round(view.keepMs / 60_000) : 60} min · {connected ? 'live' : 'connecting…'}
        </span>
        <div className="stats">
          {view?.prometheusUrl ? (
            <a className="button" href={view.prometheusUrl} target="_blank" rel="noreferrer">Open Prometheus ↗</a>
          ) : (
            <span className="muted small">No Prometheus configured (<code>metrics.prometheusUrl</code>); it would scrape <code>/metrics</code>.</span>
          )}
        </div>
      </header>
      {error && <div className="card error">{error.message}</div>}
      <div className="toolbar">
        <label>metric <input value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="name contains…" aria-label="filter metrics" /></label>
        {view && <span className="muted small">{shown.length} of {view.metrics.length} metrics · {view.times.length} points{view.droppedSeries > 0 ? ` · ${view.droppedSeries} series over the limit left out` : ''}</span>}
      </div>
      {view && view.times.length === 0 && <div className="card muted">The first points come 5 s after the server started.</div>}
      <div className="metric-grid">
        {view && shown.map((m) => <MetricCard key={m.name} m={m} times={view.times} prometheusUrl={view.prometheusUrl} />)}
      </div>
    </div>
  );
}
