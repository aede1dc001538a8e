/**
 * One run: its status and times, each task with its attempts, outputs and errors, and every log
 * line, live while it runs (`GET /api/runs/:id/events`, server-sent events); Retry and Cancel.
 */
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { href } from '../route.ts';
import { readEvents } from '../sse.ts';
import type { RunAttempt, RunDetail } from '../types.ts';

const TONE: Record<string, string> = { queued: 'info', running: 'info', succeeded: 'ok', failed: 'bad', cancelled: 'muted', 'up-for-retry': 'warn', skipped: 'muted', 'upstream-failed': 'bad' };

function took(start?: string, end?: string): string {
  if (!start) return '–';
  const ms = (end ? Date.parse(end) : Date.now()) - Date.parse(start);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function time(iso?: string): string {
  return iso ? new Date(iso).toISOString().slice(0, 19).replace('T', ' ') : '–';
}

function useRun(runId: string): { detail?: RunDetail; error?: string } {
  const [state, setState] = useState<{ detail?: RunDetail; error?: string }>({});
  useEffect(() => {
    const stop = new AbortController();
    setState({});
    readEvents<RunDetail>(`/api/runs/${encodeURIComponent(runId)}/events`, stop.signal, (detail) => setState({ detail })).catch((error: unknown) => {
      if (!stop.signal.aborted) setState((s) => ({ ...s, error: error instanceof Error ? error.message : String(error) }));
    });
    return () => stop.abort();
  }, [runId]);
  return state;
}

function Attempt({ a }: { a: RunAttempt }) {
  return (
    <div className="attempt" data-attempt={`${a.taskId}#${a.attempt}`}>
      <div className="attempt-head">
        <b>{a.taskId}</b> attempt {a.attempt} <span className={`badge ${TONE[a.status] ?? 'muted'}`}>{a.status}</span>
        <span className="muted small">
          {time(a.started)} · {took(a.started, a.finished)} · {a.worker}
        </span>
      </div>
      {a.error && (
        <div className="error small">
          {a.error.code}: {a.error.message}
        </div>
      )}
      {a.output !== undefined && <pre className="output">{JSON.stringify(a.output, null, 2)}</pre>}
      <pre className="logs" aria-label={`logs of ${a.taskId} attempt ${a.attempt}`}>
        {a.logs.length === 0 ? <span className="muted">no log lines</span> : a.logs.map((l, i) => (
          <div key={i} className={`log ${l.level}`}>
            <span className="muted">{new Date(l.ts).toISOString().slice(11, 23)}</span> {l.level.padEnd(5)} {l.message}
            {l.fields && Object.keys(l.fields).length > 0 ? ` ${JSON.stringify(l.fields)}` : ''}
          </div>
        ))}
      </pre>
    </div>
  );
}

export default function RunPage({ runId }: { runId: string }) {
  const { detail, error } = useRun(runId);
  const retry = useMutation({ mutationFn: () => api(`/api/runs/${encodeURIComponent(runId)}/retry`, { method: 'POST', body: '{}' }) });
  const cancel = useMutation({ mutationFn: () => api(`/api/runs/${encodeURIComponent(runId)}/cancel`, { method: 'POST', body: '{}' }) });
  const run = detail?.run;
  const done = run && ['succeeded', 'failed', 'cancelled'].includes(run.status);
  return (
    <div className="page">
      <header className="page-head">
        <a href={href('runs')}>← Runs</a>
        <h1>{run?.graph ?? 'Run'}</h1>
        {run && <span className={`badge ${TONE[run.status] ?? 'muted'}`} data-run-status={run.status}>{run.status}</span>}
        <span className="muted small">{runId}</span>
        <span className="run-buttons">
          <button className="secondary" onClick={() => retry.mutate()} disabled={!done || run.status === 'succeeded' || retry.isPending}>Retry</button>
          <button className="secondary" onClick={() => cancel.mutate()} disabled={!run || !!done || cancel.isPending}>Cancel</button>
        </span>
      </header>
      {error && <div className="card error">{error}</div>}
      {(retry.error ?? cancel.error) && <div className="card error" role="alert">{(retry.error ?? cancel.error)?.message}</div>}
      {!detail && !error && <div className="loading">Loading…</div>}
      {run && detail && (
        <>
          <section className="card stats-row">
            <span className="stat"><span>trigger</span><b>{run.trigger}</b></span>
            <span className="stat"><span>logical date</span><b>{time(run.logicalDate)}</b></span>
            <span className="stat"><span>started</span><b>{time(run.started)}</b></span>
            <span className="stat"><span>took</span><b>{took(run.started, run.finished)}</b></span>
            <span className="stat"><span>key</span><b className="small">{run.key}</b></span>
          </section>
          <section className="card">
            <h2>Tasks</h2>
            <table aria-label="tasks">
              <thead><tr><th>task</th><th>after</th><th>status</th><th className="num">attempt</th><th>started</th><th className="num">took</th></tr></thead>
              <tbody>
                {detail.tasks.map((t) => (
                  <tr key={t.taskId}>
                    <td className="part-name">{t.taskId}</td>
                    <td className="muted">{t.upstream.join(', ') || '–'}</td>
                    <td><span className={`badge ${TONE[t.status] ?? 'muted'}`}>{t.status}</span></td>
                    <td className="num">{t.attempt}</td>
                    <td>{time(t.started)}</td>
                    <td className="num">{took(t.started, t.finished)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="card">
            <h2>Attempts and logs</h2>
            {detail.attempts.length === 0 && <p className="muted">No attempt has started yet.</p>}
            {detail.attempts.map((a) => <Attempt key={`${a.taskId}#${a.attempt}`} a={a} />)}
          </section>
        </>
      )}
    </div>
  );
}
