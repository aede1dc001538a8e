/**
 * Lake: the processed and curated zones with their DuckLake tables; a table's page shows its
 * snapshots (pick one to see the table as it was then: time travel), schema, partitions, data files
 * with their sizes, and a preview of up to 100 rows. Read-only. A new snapshot shows up without a
 * reload: the live samples carry the lake's newest snapshot id, and a change refetches the page.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api } from '../api.ts';
import { ago, bytes, int } from '../format.ts';
import { latest, useLive } from '../live.tsx';
import { VirtualTable } from '../parts/virtual-table.tsx';
import { href } from '../route.ts';
import type { LakeOverview, LakeRows, LakeTableDetail } from '../types.ts';

/** Refetches the lake's queries when the live samples show a new snapshot. */
function useLakeSnapshot(): number | undefined {
  const snapshot = latest(useLive().samples)?.lakeSnapshot;
  const client = useQueryClient();
  const seen = useRef(snapshot);
  useEffect(() => {
    if (snapshot === undefined || snapshot === seen.current) return;
    seen.current = snapshot;
    void client.invalidateQueries({ queryKey: ['lake'] });
  }, [snapshot, client]);
  return snapshot;
}

const path = (zone: string, name: string) => `/api/ui/lake/${encodeURIComponent(zone)}/${encodeURIComponent(name)}`;

function LakeList() {
  const live = useLakeSnapshot();
  const lake = useQuery({ queryKey: ['lake', 'overview'], queryFn: () => api<LakeOverview>('/api/ui/lake') });
  if (lake.isError) return <div className="page"><div className="card error">{lake.error.message}</div></div>;
  const current = live ?? lake.data?.current;
  return (
    <div className="page">
      <header className="page-head">
        <h1>Lake</h1>
        <span className="muted">DuckLake tables of the processed and curated zones · newest snapshot <b data-current-snapshot>{current ?? '–'}</b></span>
      </header>
      {(lake.data?.zones ?? []).map((z) => (
        <section className="card" key={z.zone} aria-label={`zone ${z.zone}`}>
          <h2>{z.zone}</h2>
          {z.tables.length === 0 ? (
            <p className="muted small">No tables in this zone yet: a batch job writes them.</p>
          ) : (
            <table className="grid" aria-label={`tables of ${z.zone}`}>
              <thead><tr><th>table</th><th className="num">rows</th><th className="num">files</th><th className="num">size</th><th className="num">snapshots</th><th>last change</th></tr></thead>
              <tbody>
                {z.tables.map((t) => (
                  <tr key={t.name} data-table={`${z.zone}.${t.name}`}>
                    <td><a href={href('lake', z.zone, t.name)}>{t.name}</a></td>
                    <td className="num">{int(t.rows)}</td>
                    <td className="num">{int(t.files)}</td>
                    <td className="num">{bytes(t.bytes)}</td>
                    <td className="num" data-snapshots>{int(t.snapshots)}</td>
                    <td className="muted small">{t.lastChanged ? `#${t.lastChanged.id}, ${ago(t.lastChanged.time)}` : '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ))}
    </div>
  );
}

const partitionText = (values: Record<string, string>) => Object.entries(values).map(([k, v]) => `${k}=${v}`).join('/') || '(unpartitioned)';

function Preview({ zone, name, snapshot }: { zone: string; name: string; snapshot: number | undefined }) {
  const query = snapshot === undefined ? '' : `?snapshot=${snapshot}`;
  const rows = useQuery({ queryKey: ['lake', 'rows', zone, name, snapshot], queryFn: () => api<LakeRows>(`${path(zone, name)}/rows${query}`) });
  return (
    <section className="card" aria-label="preview">
      <h2>Rows {rows.data && <span className="muted small">snapshot #{rows.data.snapshot} · {rows.data.rows.length}{rows.data.truncated ? ' (the first 100)' : ''}</span>}</h2>
      {rows.isError && <div className="error">{rows.error.message}</div>}
      {rows.data && <VirtualTable columns={rows.data.columns.map((c) => c.name)} rows={rows.data.rows} />}
    </section>
  );
}

function TableDetail({ zone, name }: { zone: string; name: string }) {
  useLakeSnapshot();
  // undefined: follow the newest snapshot.
  const [pinned, setPinned] = useState<number | undefined>();
  const query = pinned === undefined ? '' : `?snapshot=${pinned}`;
  const detail = useQuery({ queryKey: ['lake', 'table', zone, name, pinned], queryFn: () => api<LakeTableDetail>(`${path(zone, name)}${query}`) });
  const d = detail.data;
  return (
    <div className="page">
      <header className="page-head">
        <h1><a href={href('lake')} className="muted">Lake /</a> {zone}.{name}</h1>
        {d && (
          <div className="stats">
            <div className="stat"><span>rows</span><b data-rows>{int(d.rows)}</b></div>
            <div className="stat"><span>files</span><b>{int(d.filesTotal)}</b></div>
            <div className="stat"><span>size</span><b>{bytes(d.bytesTotal)}</b></div>
            <div className="stat"><span>snapshots</span><b data-snapshots>{int(d.snapshots.length)}</b></div>
          </div>
        )}
      </header>
      {detail.isError && <div className="card error">{detail.error.message}</div>}
      {d && (
        <>
          <div className="toolbar">
            <label>
              snapshot{' '}
              <select aria-label="snapshot" value={pinned ?? ''} onChange={(e) => setPinned(e.target.value === '' ? undefined : Number(e.target.value))}>
                <option value="">newest (#{d.current}, live)</option>
                {d.snapshots.map((s) => <option key={s.id} value={s.id}>#{s.id} · {s.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</option>)}
              </select>
            </label>
            {pinned !== undefined && <span className="badge info">as of snapshot #{d.snapshot}</span>}
          </div>
          <div className="columns">
            <section className="card scroll-card" aria-label="snapshots">
              <h2>Snapshots</h2>
              <table className="grid">
                <thead><tr><th className="num">id</th><th>time</th><th>changes</th></tr></thead>
                <tbody>
                  {d.snapshots.map((s) => (
                    <tr key={s.id} className={s.id === d.snapshot ? 'on-row' : ''} data-snapshot={s.id}>
                      <td className="num"><button className="link" onClick={() => setPinned(s.id)}>#{s.id}</button></td>
                      <td className="mono small">{ago(s.time)}</td>
                      <td className="small">{s.changes.map((c) => c.split(':')[0]!.replaceAll('_', ' ')).join(', ')}{s.message && <div className="muted">{s.message}</div>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <section className="card scroll-card" aria-label="partitions">
              <h2>Partitions <span className="muted small">{d.partitionBy.length === 0 ? 'not partitioned' : `by ${d.partitionBy.map((p) => p.column).join(', ')}`}</span></h2>
              <table className="grid">
                <thead><tr><th>partition</th><th className="num">files</th><th className="num">rows</th><th className="num">size</th></tr></thead>
                <tbody>
                  {d.partitions.map((p) => <tr key={partitionText(p.values)}><td className="mono">{partitionText(p.values)}</td><td className="num">{int(p.files)}</td><td className="num">{int(p.rows)}</td><td className="num">{bytes(p.bytes)}</td></tr>)}
                  {d.partitions.length === 0 && <tr><td colSpan={4} className="muted">No data files at this snapshot (small inserts stay in the catalog until maintenance writes them out).</td></tr>}
                </tbody>
              </table>
            </section>
          </div>
          <Preview zone={zone} name={name} snapshot={pinned} />
          <div className="columns">
            <section className="card scroll-card" aria-label="schema">
              <h2>Schema</h2>
              <table className="grid">
                <thead><tr><th>column</th><th>type</th><th>partition</th></tr></thead>
                <tbody>{d.columns.map((c) => <tr key={c.name}><td className="mono">{c.name}</td><td className="muted">{c.type.toLowerCase()}</td><td>{d.partitionBy.find((p) => p.column === c.name)?.transform ?? ''}</td></tr>)}</tbody>
              </table>
            </section>
            <section className="card scroll-card" aria-label="files">
              <h2>Data files <span className="muted small">{d.filesTotal > d.files.length ? `the first ${d.files.length} of ${int(d.filesTotal)}` : ''}</span></h2>
              <table className="grid">
                <thead><tr><th>file</th><th className="num">rows</th><th className="num">size</th></tr></thead>
                <tbody>{d.files.map((f) => <tr key={f.path}><td className="mono small file-path" title={f.path}>{f.path}</td><td className="num">{int(f.rows)}</td><td className="num">{bytes(f.bytes)}</td></tr>)}</tbody>
              </table>
            </section>
          </div>
        </>
      )}
    </div>
  );
}

export default function LakePage({ route }: { route: string[] }) {
  const [zone, name] = route;
  return zone !== undefined && name !== undefined ? <TableDetail key={`${zone}.${name}`} zone={zone} name={name} /> : <LakeList />;
}
