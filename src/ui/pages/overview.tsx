/**
 * Overview: what needs attention first (failing parts, dead letters), then each pipeline with its
 * health and, per part, its live throughput and lag.
 */
import { useQuery } from '@tanstack/react-query';
import { api } from '../api.ts';
import { ago, int, rate } from '../format.ts';
import { latest, rates, useLive } from '../live.tsx';
import { HealthBadge, StateBadge, type Health } from '../parts/state-badge.tsx';
import { Sparkline } from '../parts/sparkline.tsx';
import { href } from '../route.ts';
import type { Part, Sample, Status, TopicDescription } from '../types.ts';

/** The count that says how much a part moves, per kind. */
const FLOW: Record<Part['kind'], string> = { 'stream-job': 'in', server: 'accepted', archiver: 'records', source: 'records', service: 'posted', 'batch-job': 'rows' };

function flowCount(part: Part): string | undefined {
  if (part.counts[FLOW[part.kind]] !== undefined) return FLOW[part.kind];
  return Object.keys(part.counts)[0];
}

function failing(part: Pick<Part, 'state'>): boolean {
  return part.state === 'restarting' || part.state === 'failed';
}

export function healthOf(parts: readonly Part[]): Health {
  if (parts.some(failing)) return 'failing';
  if (parts.some((p) => (p.counts.deadLettered ?? 0) > 0 || p.restarts > 0)) return 'degraded';
  return 'healthy';
}

/** The parts as the latest sample has them (state and counts move faster than the status query). */
function liveParts(parts: readonly Part[], sample: Sample | undefined): Part[] {
  return parts.map((p) => {
    const s = sample?.parts[p.name];
    return s ? { ...p, state: s.state, restarts: s.restarts, counts: s.counts, ...(s.lastError ? { lastError: s.lastError } : {}) } : p;
  });
}

function Attention({ parts, deadLetters }: { parts: Part[]; deadLetters: Array<{ topic: string; records: number }> }) {
  const broken = parts.filter((p) => failing(p) || (p.lastError && p.restarts > 0));
  if (broken.length === 0 && deadLetters.length === 0) return <div className="card calm">Nothing needs attention: every part is running and no record was dead-lettered.</div>;
  return (
    <section className="card attention">
      <h2>Needs attention</h2>
      <ul>
        {broken.map((p) => (
          <li key={p.name}>
            <StateBadge state={p.state} /> <b>{p.pipeline ? `${p.pipeline}/` : ''}{p.name}</b> ({p.kind}) restarted {p.restarts}×
            {p.lastError && (
              <div className="error-line">
                <code>{p.lastError.code}</code> {p.lastError.message} <span className="muted">{ago(p.lastError.at)}</span>
              </div>
            )}
          </li>
        ))}
        {deadLetters.map((d) => (
          <li key={d.topic}>
            <span className="badge warn">dead letters</span> <a href={href('topics', d.topic)}>{d.topic}</a> holds {int(d.records)} record{d.records === 1 ? '' : 's'}
          </li>
        ))}
      </ul>
    </section>
  );
}

function PartRow({ part, samples, lagGroup }: { part: Part; samples: Sample[]; lagGroup?: string }) {
  const count = flowCount(part);
  const series = count ? rates(samples, part.name, count).slice(-60) : [];
  const lagSeries = lagGroup ? samples.slice(-60).map((s) => s.lag[lagGroup] ?? 0) : [];
  const counts = Object.entries(part.counts);
  return (
    <tr>
      <td>
        <div className="part-name">{part.name}</div>
        <div className="muted small">{part.kind}{part.info.schedule ? ` · ${part.info.schedule}` : ''}</div>
      </td>
      <td>
        <StateBadge state={part.state} />
      </td>
      <td className="counts">{counts.length === 0 ? <span className="muted">–</span> : counts.map(([k, v]) => <span key={k} className={k === 'deadLettered' && v > 0 ? 'count warn' : 'count'}>{k} <b>{int(v)}</b></span>)}</td>
      <td className="spark-cell">
        {count && (
          <>
            <Sparkline values={series} label={`${part.name} ${count} per second`} />
            <span className="small">{rate(series[series.length - 1])}</span>
          </>
        )}
      </td>
      <td className="spark-cell">
        {lagGroup && (
          <>
            <Sparkline values={lagSeries} color="#d97706" label={`${part.name} lag`} />
            <span className="small">{int(lagSeries[lagSeries.length - 1])}</span>
          </>
        )}
      </td>
    </tr>
  );
}

export function Overview({ status }: { status: Status }) {
  const { samples } = useLive();
  const topics = useQuery({ queryKey: ['topics', samples.length > 0 ? Math.floor(latest(samples)!.at / 10_000) : 0], queryFn: () => api<{ topics: TopicDescription[] }>('/api/topics'), placeholderData: (previous) => previous });
  const parts = liveParts(status.parts, latest(samples));
  const size = (t: TopicDescription) => t.partitions.reduce((n, p) => n + p.endOffset - p.startOffset, 0);
  const deadLetters = (topics.data?.topics ?? []).filter((t) => t.name.endsWith('.dlq') && size(t) > 0).map((t) => ({ topic: t.name, records: size(t) }));
  const shared = parts.filter((p) => p.pipeline === undefined);
  const accepted = parts.find((p) => p.kind === 'server')?.counts.accepted;
  const totalLag = Object.values(latest(samples)?.lag ?? {}).reduce((a, b) => a + b, 0);
  return (
    <div className="page">
      <header className="page-head">
        <h1>Overview</h1>
        <div className="stats">
          <div className="stat"><span>pipelines</span><b>{status.pipelines.length}</b></div>
          <div className="stat"><span>parts running</span><b>{parts.filter((p) => p.state === 'running').length} / {parts.length}</b></div>
          <div className="stat"><span>ingested</span><b>{int(accepted)}</b></div>
          <div className="stat"><span>total lag</span><b>{int(totalLag)}</b></div>
          <div className="stat"><span>dead letters</span><b className={deadLetters.length > 0 ? 'warn' : ''}>{int(deadLetters.reduce((n, d) => n + d.records, 0))}</b></div>
        </div>
      </header>
      <Attention parts={parts} deadLetters={deadLetters} />
      {status.pipelines.map((pipeline) => {
        const own = parts.filter((p) => p.pipeline === pipeline.name);
        return (
          <section key={pipeline.name} className="card pipeline" data-pipeline={pipeline.name}>
            <div className="pipeline-head">
              <h2>{pipeline.name}</h2>
              <HealthBadge health={healthOf(own)} />
              <a className="small" href={href('graph')}>graph →</a>
            </div>
            <p className="muted">{pipeline.description}</p>
            <table className="parts">
              <thead>
                <tr><th>part</th><th>state</th><th>counts</th><th>throughput</th><th>lag</th></tr>
              </thead>
              <tbody>
                {own.map((p) => <PartRow key={p.name} part={p} samples={samples} {...(p.kind === 'stream-job' ? { lagGroup: `job.${p.name}` } : {})} />)}
              </tbody>
            </table>
          </section>
        );
      })}
      {shared.length > 0 && (
        <section className="card pipeline">
          <div className="pipeline-head"><h2>Shared</h2><HealthBadge health={healthOf(shared)} /></div>
          <table className="parts">
            <thead>
              <tr><th>part</th><th>state</th><th>counts</th><th>throughput</th><th>lag</th></tr>
            </thead>
            <tbody>
              {shared.map((p) => <PartRow key={p.name} part={p} samples={samples} />)}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
