/**
 * Topics: every topic with its partitions, offsets and the groups that read it with their lag; a
 * topic's page adds its schema and a message browser that pages through one partition on the server
 * (from an offset or from a time, filtered by key or by the value at a JSON path).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { int } from '../format.ts';
import { href } from '../route.ts';
import type { Graph, GroupLag, MessagePage, ReplayResult, TopicDescription } from '../types.ts';

const size = (t: TopicDescription) => t.partitions.reduce((n, p) => n + p.endOffset - p.startOffset, 0);

function useLag() {
  return useQuery({ queryKey: ['lag'], queryFn: () => api<{ groups: GroupLag[] }>('/api/lag') });
}

function TopicList() {
  const topics = useQuery({ queryKey: ['topics'], queryFn: () => api<{ topics: TopicDescription[] }>('/api/topics') });
  const lag = useLag();
  if (topics.isError) return <div className="card error">{topics.error.message}</div>;
  return (
    <div className="page">
      <header className="page-head"><h1>Topics</h1></header>
      <section className="card">
        <table className="grid" aria-label="topics">
          <thead><tr><th>topic</th><th>partitions</th><th className="num">records</th><th className="num">end offsets</th><th>read by (lag)</th></tr></thead>
          <tbody>
            {(topics.data?.topics ?? []).map((t) => {
              const readers = (lag.data?.groups ?? []).filter((g) => g.partitions.some((p) => p.topic === t.name));
              return (
                <tr key={t.name} className={t.name.endsWith('.dlq') && size(t) > 0 ? 'warn-row' : ''}>
                  <td><a href={href('topics', t.name)}>{t.name}</a>{t.name.endsWith('.dlq') && <span className="badge warn small-badge">dead letters</span>}</td>
                  <td>{t.partitions.length}</td>
                  <td className="num">{int(size(t))}</td>
                  <td className="num mono">{t.partitions.map((p) => p.endOffset).join(' · ')}</td>
                  <td>{readers.length === 0 ? <span className="muted">–</span> : readers.map((g) => <span key={g.group} className="count">{g.reader ?? g.group} <b>{int(g.partitions.filter((p) => p.topic === t.name).reduce((n, p) => n + p.lag, 0))}</b></span>)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function Browser({ topic }: { topic: TopicDescription }) {
  const first = topic.partitions[0];
  const [partition, setPartition] = useState(first?.partition ?? 0);
  const bounds = topic.partitions.find((p) => p.partition === partition) ?? first;
  const [offset, setOffset] = useState(Math.max(bounds?.startOffset ?? 0, (bounds?.endOffset ?? 0) - 20));
  const [filter, setFilter] = useState({ key: '', path: '', equals: '' });
  const [draft, setDraft] = useState(filter);
  const [history, setHistory] = useState<number[]>([]);
  const params = new URLSearchParams({ partition: String(partition), offset: String(offset), limit: '20', ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== '')) });
  const page = useQuery({ queryKey: ['messages', topic.name, params.toString()], queryFn: () => api<MessagePage>(`/api/ui/topics/${encodeURIComponent(topic.name)}/messages?${params.toString()}`) });
  const deadLetters = topic.name.endsWith('.dlq');
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const client = useQueryClient();
  const totals = useQuery({ queryKey: ['replayed'], queryFn: () => api<{ replayed: Record<string, number> }>('/api/ui/dead-letters'), enabled: deadLetters });
  const replay = useMutation({
    mutationFn: (positions: Array<{ partition: number; offset: number }>) => api<ReplayResult>(`/api/ui/dead-letters/${encodeURIComponent(topic.name)}/replay`, { method: 'POST', body: JSON.stringify({ positions }) }),
    onSuccess: () => {
      setChosen(new Set());
      void client.invalidateQueries({ queryKey: ['replayed'] });
      void client.invalidateQueries({ queryKey: ['topics'] });
    },
  });
  const toggle = (id: string) => setChosen((prev) => {
    const next = new Set(prev);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  });
  const [time, setTime] = useState('');
  const seekTime = useMutation({
    mutationFn: (at: number) => api<{ offset: number }>(`/api/ui/topics/${encodeURIComponent(topic.name)}/offset?${new URLSearchParams({ partition: String(partition), time: String(at) }).toString()}`),
    onSuccess: (found) => {
      setOffset(found.offset);
      setHistory([]);
    },
  });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilter(draft);
    setHistory([]);
  };
  return (
    <section className="card">
      <h2>Messages</h2>
      <form className="toolbar" onSubmit={apply}>
        <label>partition <select value={partition} onChange={(e) => { const p = Number(e.target.value); setPartition(p); const b = topic.partitions.find((x) => x.partition === p); setOffset(Math.max(b?.startOffset ?? 0, (b?.endOffset ?? 0) - 20)); setHistory([]); }}>{topic.partitions.map((p) => <option key={p.partition} value={p.partition}>{p.partition}</option>)}</select></label>
        <label>from offset <input type="number" min={0} value={offset} onChange={(e) => { setOffset(Number(e.target.value)); setHistory([]); }} className="narrow" /></label>
        <label>from time <input type="datetime-local" step={1} value={time} onChange={(e) => setTime(e.target.value)} aria-label="from time" /></label>
        <button type="button" className="secondary" disabled={time === '' || seekTime.isPending} onClick={() => seekTime.mutate(new Date(time).getTime())}>Go to time</button>
        <label>key <input value={draft.key} onChange={(e) => setDraft({ ...draft, key: e.target.value })} placeholder="any" /></label>
        <label>JSON path <input value={draft.path} onChange={(e) => setDraft({ ...draft, path: e.target.value })} placeholder="$.category" /></label>
        <label>equals <input value={draft.equals} onChange={(e) => setDraft({ ...draft, equals: e.target.value })} /></label>
        <button type="submit">Filter</button>
      </form>
      {deadLetters && (
        <div className="replay-bar">
          <button disabled={chosen.size === 0 || replay.isPending} onClick={() => replay.mutate([...chosen].map((id) => { const [partition, offset] = id.split(':').map(Number) as [number, number]; return { partition, offset }; }))}>
            Replay {chosen.size > 0 ? chosen.size : ''} selected
          </button>
          <span className="muted small">sends the records back to the topic they came from; the job reads them again</span>
          <span className="replay-total">replayed from this topic: <b>{int(totals.data?.replayed[topic.name] ?? 0)}</b></span>
          {replay.data && <span className="replay-result" role="status">replayed {replay.data.replayed} of {replay.data.requested} to {[...new Set(replay.data.to.map((t) => t.topic))].join(', ') || '–'}{replay.data.missing.length > 0 ? `; ${replay.data.missing.length} missing: ${replay.data.missing[0]!.reason}` : ''}</span>}
          {replay.isError && <span className="error">{replay.error.message}</span>}
        </div>
      )}
      {seekTime.isError && <div className="error">{seekTime.error.message}</div>}
      {page.isError && <div className="error">{page.error.message}</div>}
      {page.data && (
        <>
          <div className="muted small pager">
            offsets {int(page.data.startOffset)}–{int(page.data.endOffset)} in partition {page.data.partition} · {page.data.records.length} shown, {int(page.data.scanned)} scanned
            <button disabled={history.length === 0} onClick={() => { setOffset(history[history.length - 1]!); setHistory(history.slice(0, -1)); }}>← previous</button>
            <button disabled={page.data.atEnd} onClick={() => { setHistory([...history, offset]); setOffset(page.data.next); }}>next →</button>
          </div>
          <table className="grid messages" aria-label="messages">
            <thead><tr>{deadLetters && <th />}<th className="num">offset</th><th>time</th><th>key</th><th>value</th></tr></thead>
            <tbody>
              {page.data.records.map((r) => (
                <tr key={`${r.partition}:${r.offset}`}>
                  {deadLetters && <td><input type="checkbox" aria-label={`choose offset ${r.offset}`} checked={chosen.has(`${r.partition}:${r.offset}`)} onChange={() => toggle(`${r.partition}:${r.offset}`)} /></td>}
                  <td className="num mono">{r.offset}</td>
                  <td className="mono small">{r.timestamp.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</td>
                  <td className="mono">{r.key ?? <span className="muted">null</span>}</td>
                  <td>
                    {r.headers?.['tributary.error'] && <div className="error-line"><b>{r.headers['tributary.step']}</b>: {r.headers['tributary.error']} <span className="muted">from {r.headers['tributary.source']}</span></div>}
                    <code className="value">{typeof r.value === 'string' ? r.value : JSON.stringify(r.value)}</code>
                  </td>
                </tr>
              ))}
              {page.data.records.length === 0 && <tr><td colSpan={deadLetters ? 5 : 4} className="muted">No records here{filter.key || filter.path ? ' match the filter' : ''}.</td></tr>}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function TopicDetail({ name }: { name: string }) {
  const topic = useQuery({ queryKey: ['topic', name], queryFn: () => api<TopicDescription>(`/api/topics/${encodeURIComponent(name)}`) });
  const graph = useQuery({ queryKey: ['graph'], queryFn: () => api<Graph>('/api/ui/graph') });
  const lag = useLag();
  const schema = graph.data?.nodes.find((n) => n.id === `topic:${name}`)?.schema;
  const readers = (lag.data?.groups ?? []).filter((g) => g.partitions.some((p) => p.topic === name));
  if (topic.isError) return <div className="page"><div className="card error">{topic.error.message}</div></div>;
  if (!topic.data) return <div className="loading">Loading…</div>;
  return (
    <div className="page">
      <header className="page-head"><h1><a href={href('topics')} className="muted">Topics /</a> {name}</h1><span className="muted">{int(size(topic.data))} records in {topic.data.partitions.length} partitions</span></header>
      <div className="columns">
        <section className="card">
          <h2>Partitions</h2>
          <table className="grid" aria-label="partitions">
            <thead><tr><th>partition</th><th className="num">start</th><th className="num">end</th>{readers.map((g) => <th key={g.group} className="num">lag of {g.reader ?? g.group}</th>)}</tr></thead>
            <tbody>
              {topic.data.partitions.map((p) => (
                <tr key={p.partition}><td>{p.partition}</td><td className="num">{int(p.startOffset)}</td><td className="num">{int(p.endOffset)}</td>{readers.map((g) => <td key={g.group} className="num">{int(g.partitions.find((x) => x.topic === name && x.partition === p.partition)?.lag)}</td>)}</tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="card">
          <h2>Schema</h2>
          {schema === undefined ? <p className="muted">No schema declared for this topic{name.endsWith('.dlq') ? ': dead letters keep the original record as it came' : ''}.</p> : <pre className="schema">{JSON.stringify(schema, null, 2)}</pre>}
        </section>
      </div>
      <Browser topic={topic.data} />
    </div>
  );
}

export default function TopicsPage({ topic }: { topic: string | undefined }) {
  return topic === undefined ? <TopicList /> : <TopicDetail key={topic} name={topic} />;
}
