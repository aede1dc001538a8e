/** "Save to dashboard" under a SQL result: adds the query, as the chart shown, to a saved dashboard or a new one. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { href } from '../route.ts';
import type { Dashboard, Dashboards, DashboardChartKind } from '../types.ts';

const NEW = '';

export function SaveToDashboard({ sql, kind }: { sql: string; kind: DashboardChartKind }) {
  const client = useQueryClient();
  const dashboards = useQuery({ queryKey: ['dashboards'], queryFn: () => api<Dashboards>('/api/ui/dashboards') });
  const [target, setTarget] = useState(NEW);
  const [name, setName] = useState('');
  const [title, setTitle] = useState('');
  const save = useMutation({
    mutationFn: async () => {
      const existing = dashboards.data?.saved.find((d) => d.name === target);
      const board = existing ?? { name, title: name, charts: [] };
      return api<Dashboard>(`/api/ui/dashboards/${encodeURIComponent(board.name)}`, { method: 'PUT', body: JSON.stringify({ title: board.title, charts: [...board.charts, { title, sql, kind }] }) });
    },
    onSuccess: () => void client.invalidateQueries({ queryKey: ['dashboards'] }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="toolbar save-board" onSubmit={submit} aria-label="save to dashboard">
      <label>
        dashboard
        <select value={target} onChange={(e) => setTarget(e.target.value)} aria-label="dashboard">
          <option value={NEW}>a new dashboard…</option>
          {dashboards.data?.saved.map((d) => (
            <option key={d.name} value={d.name}>{d.title}</option>
          ))}
        </select>
      </label>
      {target === NEW && (
        <label>
          new dashboard's name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. pins" required pattern="[A-Za-z0-9][A-Za-z0-9._\-]*" />
        </label>
      )}
      <label>
        chart title
        <input value={title} onChange={(e) => setTitle(e.target.value)} required />
      </label>
      <button type="submit" className="secondary" disabled={save.isPending}>Save to dashboard</button>
      {save.isError && <span className="error" role="alert">{save.error.message}</span>}
      {save.data && (
        <span role="status">
          saved to <a href={href('dashboards', save.data.name)}>{save.data.title}</a>
        </span>
      )}
    </form>
  );
}
