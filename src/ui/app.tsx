/** The shell: the side bar, the page of the current route, and the API key prompt when the server wants one. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useState, type FormEvent } from 'react';
import { api, ApiError, setApiKey } from './api.ts';
import { LiveProvider, useLive } from './live.tsx';
import { Overview } from './pages/overview.tsx';
import { href, useRoute } from './route.ts';
import type { Status } from './types.ts';

// The graph page carries the graph libraries: loaded when first opened, not with the first page.
const GraphPage = lazy(() => import('./pages/graph.tsx'));
const TopicsPage = lazy(() => import('./pages/topics.tsx'));
const SqlPage = lazy(() => import('./pages/sql.tsx'));
const RunsPage = lazy(() => import('./pages/runs.tsx'));
const RunPage = lazy(() => import('./pages/run.tsx'));
const DashboardsPage = lazy(() => import('./pages/dashboards.tsx'));
const LakePage = lazy(() => import('./pages/lake.tsx'));
const MetricsPage = lazy(() => import('./pages/metrics.tsx'));

const PAGES = [
  { path: '', title: 'Overview' },
  { path: 'graph', title: 'Pipeline graph' },
  { path: 'topics', title: 'Topics' },
  { path: 'runs', title: 'Runs' },
  { path: 'lake', title: 'Lake' },
  { path: 'sql', title: 'SQL explorer' },
  { path: 'dashboards', title: 'Dashboards' },
  { path: 'metrics', title: 'Metrics' },
] as const;

function KeyPrompt({ wrong }: { wrong: boolean }) {
  const client = useQueryClient();
  const [key, setKey] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setApiKey(key);
    void client.invalidateQueries();
  };
  return (
    <div className="key-screen">
      <form className="card key-card" onSubmit={submit}>
        <h1>Tributary</h1>
        <p>This server needs an API key. It is the <code>server.apiKey</code> of its configuration.</p>
        {wrong && <p className="error">That key was refused.</p>}
        <label>
          API key
          <input type="password" autoFocus value={key} onChange={(e) => setKey(e.target.value)} name="apiKey" />
        </label>
        <button type="submit" disabled={key === ''}>
          Open
        </button>
      </form>
    </div>
  );
}

function Connection() {
  const { connected } = useLive();
  return <span className={`live ${connected ? 'on' : 'off'}`}>{connected ? 'live' : 'connecting…'}</span>;
}

export function App() {
  const route = useRoute();
  const status = useQuery({ queryKey: ['status'], queryFn: () => api<Status>('/api/status') });
  const unauthorized = status.error instanceof ApiError && status.error.status === 401;
  if (unauthorized) return <KeyPrompt wrong={sessionStorage.getItem('tributary.apiKey') !== null} />;
  const page = route[0] ?? '';
  return (
    <LiveProvider enabled={status.isSuccess}>
      <div className="shell">
        <nav className="side">
          <a className="brand" href={href()}>
            <svg viewBox="0 0 16 16" width="20" height="20" aria-hidden="true">
              <path d="M2 3c4 0 4 5 8 5s4 5 4 5" stroke="#60a5fa" strokeWidth="2.5" fill="none" />
            </svg>
            Tributary
          </a>
          {PAGES.map((p) => (
            <a key={p.path} href={href(...(p.path ? [p.path] : []))} className={page === p.path ? 'active' : ''}>
              {p.title}
            </a>
          ))}
          <div className="side-foot">
            {status.data && (
              <>
                <div>{status.data.pipelines.map((p) => p.name).join(', ')}</div>
                <div>
                  {status.data.log} log · pid {status.data.pid}
                </div>
              </>
            )}
            <Connection />
          </div>
        </nav>
        <main className="content">
          {status.isError && <div className="card error">Cannot reach the server: {status.error.message}</div>}
          {status.data && (
            <Suspense fallback={<div className="loading">Loading…</div>}>
              {page === '' && <Overview status={status.data} />}
              {page === 'graph' && <GraphPage />}
              {page === 'topics' && <TopicsPage topic={route[1]} />}
              {page === 'runs' && (route[1] ? <RunPage runId={route[1]} /> : <RunsPage />)}
              {page === 'lake' && <LakePage route={route.slice(1)} />}
              {page === 'sql' && <SqlPage />}
              {page === 'metrics' && <MetricsPage />}
              {page === 'dashboards' && <DashboardsPage route={route.slice(1)} />}
              {!PAGES.some((p) => p.path === page) && <div className="card">No page “{page}”.</div>}
            </Suspense>
          )}
        </main>
      </div>
    </LiveProvider>
  );
}
