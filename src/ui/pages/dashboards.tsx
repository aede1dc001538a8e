/**
 * Dashboards: grids of charts, each one SELECT over the lake's tables run through the SQL
 * explorer's read-only engine. The pipelines' declared dashboards are shown as they are; the users'
 * own are made here or from the SQL explorer, edited (title, charts' titles, SQL and kind), saved
 * in the metadata store, and deleted.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api.ts';
import { ResultChart } from '../parts/result-chart.tsx';
import { href } from '../route.ts';
import type { Dashboard, DashboardChart, DashboardChartKind, Dashboards, SqlResult } from '../types.ts';

const KINDS: DashboardChartKind[] = ['bar', 'line', 'area', 'pie', 'scatter', 'number', 'table'];

function ChartCard({ chart }: { chart: DashboardChart }) {
  const result = useQuery({ queryKey: ['chart', chart.sql], queryFn: () => api<SqlResult>('/api/ui/sql', { method: 'POST', body: JSON.stringify({ sql: chart.sql }) }), retry: false });
  return (
    <section className="card board-chart" aria-label={`chart ${chart.title}`}>
      <h2>{chart.title}</h2>
      {result.isPending && <div className="loading">Running…</div>}
      {result.isError && <div className="error small" role="alert">{result.error.message}</div>}
      {result.data && <ResultChart result={result.data} kind={chart.kind} {...(chart.x ? { x: chart.x } : {})} {...(chart.y ? { y: typeof chart.y === 'string' ? chart.y : chart.y[0]! } : {})} />}
    </section>
  );
}

function Editor({ board, onDone }: { board: Dashboard; onDone: () => void }) {
  const client = useQueryClient();
  const [title, setTitle] = useState(board.title);
  const [charts, setCharts] = useState<DashboardChart[]>(board.charts);
  const change = (i: number, patch: Partial<DashboardChart>) => setCharts(charts.map((c, j) => (j === i ? { ...c, ...patch } : c)));
  const save = useMutation({
    mutationFn: () => api<Dashboard>(`/api/ui/dashboards/${encodeURIComponent(board.name)}`, { method: 'PUT', body: JSON.stringify({ title, charts }) }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['dashboards'] });
      onDone();
    },
  });
  return (
    <section className="card editor" aria-label="edit dashboard">
      <label className="wide">
        title
        <input value={title} onChange={(e) => setTitle(e.target.value)} aria-label="dashboard title" />
      </label>
      {charts.map((c, i) => (
        <fieldset key={i} className="chart-edit">
          <legend>chart {i + 1}</legend>
          <label>
            chart title
            <input value={c.title} onChange={(e) => change(i, { title: e.target.value })} />
          </label>
          <label>
            kind
            <select value={c.kind} onChange={(e) => change(i, { kind: e.target.value as DashboardChartKind })}>
              {KINDS.map((k) => <option key={k}>{k}</option>)}
            </select>
          </label>
          <label className="wide">
            SQL
            <textarea value={c.sql} rows={3} onChange={(e) => change(i, { sql: e.target.value })} />
          </label>
          <button className="secondary" onClick={() => setCharts(charts.filter((_, j) => j !== i))}>Remove chart</button>
        </fieldset>
      ))}
      <div className="toolbar">
        <button className="secondary" onClick={() => setCharts([...charts, { title: `Chart ${charts.length + 1}`, sql: 'SELECT 42 AS answer', kind: 'number' }])}>Add chart</button>
        <button onClick={() => save.mutate()} disabled={save.isPending || title === ''}>Save</button>
        <button className="secondary" onClick={onDone}>Cancel</button>
        {save.isError && <span className="error" role="alert">{save.error.message}</span>}
      </div>
    </section>
  );
}

function Board({ board, saved }: { board: Dashboard; saved: boolean }) {
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const remove = useMutation({
    mutationFn: () => api(`/api/ui/dashboards/${encodeURIComponent(board.name)}`, { method: 'DELETE' }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['dashboards'] });
      window.location.hash = href('dashboards');
    },
  });
  return (
    <div className="page board" data-dashboard={board.name}>
      <header className="page-head">
        <h1>{board.title}</h1>
        <span className="muted">{board.pipeline ? `declared by ${board.pipeline}` : `saved dashboard ${board.name}`}</span>
        {saved && !editing && (
          <span className="run-buttons">
            <button className="secondary" onClick={() => setEditing(true)}>Edit</button>
            <button className="secondary danger" onClick={() => window.confirm(`Delete the dashboard ${board.title}?`) && remove.mutate()}>Delete</button>
          </span>
        )}
      </header>
      {remove.isError && <div className="card error" role="alert">{remove.error.message}</div>}
      {editing && <Editor board={board} onDone={() => setEditing(false)} />}
      {board.charts.length === 0 && <div className="card muted">No charts yet: add one with Edit, or from a result in the SQL explorer.</div>}
      <div className="board-grid">
        {board.charts.map((c, i) => <ChartCard key={`${i}:${c.sql}`} chart={c} />)}
      </div>
    </div>
  );
}

function NewBoard() {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const make = useMutation({
    mutationFn: () => api<Dashboard>(`/api/ui/dashboards/${encodeURIComponent(name)}`, { method: 'PUT', body: JSON.stringify({ title: name, charts: [] }) }),
    onSuccess: async (d) => {
      await client.invalidateQueries({ queryKey: ['dashboards'] });
      window.location.hash = href('dashboards', d.name);
    },
  });
  return (
    <form className="new-board" onSubmit={(e) => { e.preventDefault(); make.mutate(); }}>
      <input value={name} onChange={(e) => setName(e.target.value)} placeholder="new dashboard" aria-label="new dashboard name" required />
      <button type="submit" className="secondary">New</button>
      {make.isError && <div className="error small" role="alert">{make.error.message}</div>}
    </form>
  );
}

export default function DashboardsPage({ route }: { route: string[] }) {
  const boards = useQuery({ queryKey: ['dashboards'], queryFn: () => api<Dashboards>('/api/ui/dashboards') });
  const declared = boards.data?.declared ?? [];
  const saved = boards.data?.saved ?? [];
  const [a, b] = route;
  const open = b !== undefined ? declared.find((d) => d.pipeline === a && d.name === b) : saved.find((d) => d.name === a);
  const first = declared[0] ?? saved[0];
  const shown = open ?? (a === undefined ? first : undefined);
  return (
    <div className="board-layout">
      <aside className="card board-list" aria-label="dashboards">
        <h2>Dashboards</h2>
        {boards.isError && <div className="error small">{boards.error.message}</div>}
        {declared.length > 0 && <div className="muted small">declared by the pipelines</div>}
        {declared.map((d) => (
          <a key={`${d.pipeline}/${d.name}`} href={href('dashboards', d.pipeline, d.name)} className={shown === d ? 'active' : ''}>{d.title}</a>
        ))}
        <div className="muted small">saved</div>
        {saved.length === 0 && boards.isSuccess && <div className="muted small">none yet</div>}
        {saved.map((d) => (
          <a key={d.name} href={href('dashboards', d.name)} className={shown === d ? 'active' : ''}>{d.title}</a>
        ))}
        <NewBoard />
      </aside>
      {shown && <Board key={`${shown.pipeline ?? ''}/${shown.name}`} board={shown} saved={shown.pipeline === undefined} />}
      {!shown && boards.isSuccess && <div className="card">{a === undefined ? 'No dashboards yet: make one here or save a chart from the SQL explorer.' : `No dashboard “${route.join('/')}”.`}</div>}
    </div>
  );
}
