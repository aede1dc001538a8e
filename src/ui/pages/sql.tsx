/**
 * The SQL explorer: one SELECT over the lake's tables and the serving layer's real-time views
 * (`realtime.<view>`; read-only, the server refuses anything else),
 * results in a virtualised table of up to 10,000 rows, CSV export, and a chart of the result in one
 * click (first column as x, first numeric column as y).
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api } from '../api.ts';
import { int } from '../format.ts';
import type { ChartKind } from '../parts/chart.tsx';
import { columnsOf, ResultChart } from '../parts/result-chart.tsx';
import { SaveToDashboard } from '../parts/save-to-dashboard.tsx';
import { SqlEditor } from '../parts/sql-editor.tsx';
import { toCsv } from '../parts/virtual-table.tsx';
import type { SqlResult, SqlTable } from '../types.ts';

/** A table's name as SQL: quoted when it is not a plain identifier (`realtime."posts-per-category"`). */
const sqlName = (t: SqlTable) => `${t.schema}.${/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.name) ? t.name : `"${t.name.replaceAll('"', '""')}"`}`;

const KINDS: ChartKind[] = ['table', 'bar', 'line', 'area', 'pie', 'scatter', 'number'];

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

function Result({ result, sql }: { result: SqlResult; sql: string }) {
  const [kind, setKind] = useState<ChartKind>('table');
  const names = result.columns.map((c) => c.name);
  const numeric = columnsOf(result).yi;
  return (
    <section className="card">
      <div className="toolbar result-bar">
        <span className="muted small">{int(result.rows.length)} rows{result.truncated ? ' (the first 10,000)' : ''} · {result.elapsedMs} ms</span>
        <div className="kinds" role="group" aria-label="show as">
          {KINDS.map((k) => (
            <button key={k} className={k === kind ? 'kind on' : 'kind'} disabled={k !== 'table' && numeric < 0} onClick={() => setKind(k)}>{k}</button>
          ))}
        </div>
        <button className="secondary" onClick={() => download('result.csv', toCsv(names, result.rows))}>Export CSV</button>
      </div>
      <ResultChart result={result} kind={kind} />
      <SaveToDashboard sql={sql} kind={kind} />
    </section>
  );
}

export default function SqlPage() {
  const tables = useQuery({ queryKey: ['sql-tables'], queryFn: () => api<{ tables: SqlTable[] }>('/api/ui/sql/tables') });
  const list = useMemo(() => tables.data?.tables ?? [], [tables.data]);
  const first = list[0];
  const [text, setText] = useState<string | undefined>();
  const sql = text ?? (first ? `SELECT *\nFROM ${sqlName(first)}\nLIMIT 100` : 'SELECT 42 AS answer');
  const run = useMutation({ mutationFn: async (q: string) => ({ sql: q, result: await api<SqlResult>('/api/ui/sql', { method: 'POST', body: JSON.stringify({ sql: q }) }) }) });
  return (
    <div className="page">
      <header className="page-head">
        <h1>SQL explorer</h1>
        <span className="muted">one SELECT over the lake's tables and the real-time views (<code>realtime.*</code>), read-only · Ctrl+Enter runs</span>
      </header>
      <div className="sql-layout">
        <aside className="card tables" aria-label="tables">
          <h2>Tables</h2>
          {tables.isError && <div className="error small">{tables.error.message}</div>}
          {list.length === 0 && tables.isSuccess && <p className="muted small">No lake tables yet: they appear once a batch job has written one.</p>}
          {list.map((t) => (
            <details key={`${t.schema}.${t.name}`} open>
              <summary><button className="link" onClick={() => setText(`SELECT *\nFROM ${sqlName(t)}\nLIMIT 100`)}>{t.schema.replace(/^lake\./, '')}.{t.name}</button></summary>
              <ul>{t.columns.map((c) => <li key={c.name}><span>{c.name}</span> <span className="muted">{c.type.toLowerCase()}</span></li>)}</ul>
            </details>
          ))}
        </aside>
        <div className="sql-main">
          <section className="card">
            {tables.isFetched && <SqlEditor value={sql} onChange={setText} onRun={() => run.mutate(sql)} tables={list} />}
            <div className="toolbar run-bar">
              <button onClick={() => run.mutate(sql)} disabled={run.isPending}>{run.isPending ? 'Running…' : 'Run'}</button>
              {run.isError && <span className="error" role="alert">{run.error.message}</span>}
            </div>
          </section>
          {run.data && <Result key={run.submittedAt} result={run.data.result} sql={run.data.sql} />}
        </div>
      </div>
    </div>
  );
}
