/**
 * The Runs page: a grid of the graphs (rows) by logical date (columns, newest on the right), one
 * coloured cell a run, read a page of runs at a time from the server (`GET /api/runs?limit&offset`),
 * so that it stays quick with any number of runs; Trigger for one graph and a backfill over a date
 * range. A cell opens the run's page.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { href } from '../route.ts';
import type { RunGraph, RunRecord } from '../types.ts';

const PAGE = 120;

function column(run: RunRecord): string {
  return (run.logicalDate ?? run.created).slice(0, 16).replace('T', ' ');
}

function Grid({ graphs, runs }: { graphs: RunGraph[]; runs: RunRecord[] }) {
  const { columns, cells } = useMemo(() => {
    const cells = new Map<string, RunRecord>();
    // Newest first from the server: the first run of a cell is the one to show.
    for (const r of runs) if (!cells.has(`${r.graph}|${column(r)}`)) cells.set(`${r.graph}|${column(r)}`, r);
    const columns = [...new Set(runs.map(column))].sort();
    return { columns, cells };
  }, [runs]);
  const shown = graphs.filter((g) => runs.some((r) => r.graph === g.id));
  if (runs.length === 0) return <p className="muted">No runs on this page.</p>;
  return (
    <div className="run-grid-wrap">
      <table className="run-grid" aria-label="runs grid">
        <thead>
          <tr>
            <th>graph</th>
            {columns.map((c) => (
              <th key={c} className="run-col" title={c}>
                <span>{c.slice(5)}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((g) => (
            <tr key={g.id} data-graph={g.id}>
              <th className="run-graph">{g.id}</th>
              {columns.map((c) => {
                const r = cells.get(`${g.id}|${c}`);
                return (
                  <td key={c}>
                    {r && <a className={`run-cell ${r.status}`} href={href('runs', r.runId)} title={`${r.graph} · ${c} · ${r.status} · ${r.trigger}`} aria-label={`run ${r.runId} ${r.status}`} data-status={r.status} />}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Actions({ graphs }: { graphs: RunGraph[] }) {
  const client = useQueryClient();
  const [graph, setGraph] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const chosen = graph || graphs[0]?.id || '';
  const trigger = useMutation({
    mutationFn: () => api<{ run: RunRecord | null }>(`/api/graphs/${encodeURIComponent(chosen)}/runs`, { method: 'POST', body: '{}' }),
    onSuccess: ({ run }) => {
      void client.invalidateQueries({ queryKey: ['runs'] });
      if (run) window.location.hash = href('runs', run.runId);
    },
  });
  const backfill = useMutation({
    mutationFn: () => api<{ id: string; planned: number; created: number; rerun: number }>(`/api/graphs/${encodeURIComponent(chosen)}/backfill`, { method: 'POST', body: JSON.stringify({ from: new Date(`${from}T00:00:00Z`).toISOString(), to: new Date(`${to}T00:00:00Z`).toISOString() }) }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['runs'] }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    backfill.mutate();
  };
  return (
    <section className="card toolbar run-actions">
      <label>
        graph
        <select value={chosen} onChange={(e) => setGraph(e.target.value)} aria-label="graph">
          {graphs.map((g) => (
            <option key={g.id}>{g.id}</option>
          ))}
        </select>
      </label>
      <button onClick={() => trigger.mutate()} disabled={!chosen || trigger.isPending}>
        Trigger
      </button>
      <form className="backfill" onSubmit={submit} aria-label="backfill">
        <label>
          backfill from
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} required />
        </label>
        <label>
          to
          <input type="date" value={to} onChange={(e) => setTo(e.target.value)} required />
        </label>
        <button type="submit" className="secondary" disabled={!chosen || backfill.isPending}>
          Backfill
        </button>
      </form>
      {trigger.isError && <span className="error" role="alert">{trigger.error.message}</span>}
      {backfill.isError && <span className="error" role="alert">{backfill.error.message}</span>}
      {backfill.data && <span role="status">backfill {backfill.data.id}: {backfill.data.planned} planned, {backfill.data.created} new runs</span>}
    </section>
  );
}

export default function RunsPage() {
  const [offset, setOffset] = useState(0);
  const graphs = useQuery({ queryKey: ['graphs'], queryFn: () => api<{ graphs: RunGraph[] }>('/api/graphs') });
  // A new page of runs when a run is made or changes is cheap (one indexed page): every 5 s.
  const runs = useQuery({ queryKey: ['runs', offset], queryFn: () => api<{ runs: RunRecord[] }>(`/api/runs?limit=${PAGE}&offset=${offset}`), refetchInterval: 5000 });
  const list = graphs.data?.graphs ?? [];
  const page = runs.data?.runs ?? [];
  return (
    <div className="page">
      <header className="page-head">
        <h1>Runs</h1>
        <span className="muted">the orchestrator's runs by graph and logical date · newest on the right</span>
      </header>
      {graphs.isError && <div className="card error">{graphs.error.message}</div>}
      {graphs.data && <Actions graphs={list} />}
      <section className="card">
        <div className="pager">
          <button onClick={() => setOffset(Math.max(0, offset - PAGE))} disabled={offset === 0}>
            ← newer
          </button>
          <span className="muted small">
            runs {offset + 1}–{offset + page.length}
          </span>
          <button onClick={() => setOffset(offset + PAGE)} disabled={page.length < PAGE}>
            older →
          </button>
          <span className="legend">
            {(['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const).map((s) => (
              <span key={s}>
                <i className={`run-cell ${s}`} /> {s}
              </span>
            ))}
          </span>
        </div>
        {runs.isError && <div className="error">{runs.error.message}</div>}
        {runs.data && <Grid graphs={list} runs={page} />}
      </section>
    </div>
  );
}
