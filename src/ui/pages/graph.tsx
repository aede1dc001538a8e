/**
 * The pipeline graph: every part of the loaded pipelines laid out left to right, with live counts on
 * the edges (records in, out, dead-lettered, and the lag of the reading group) and on the nodes; a
 * click opens the node's detail (config, schema, live counts, last error). A windowed job shows its
 * event-time watermark (UTC) as the live samples carry it.
 */
import { useQuery } from '@tanstack/react-query';
import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useMemo, useState } from 'react';
import { api } from '../api.ts';
import { int, short } from '../format.ts';
import { latest, useLive } from '../live.tsx';
import { StateBadge } from '../parts/state-badge.tsx';
import { href } from '../route.ts';
import type { Graph, GraphNode, NodeKind, Sample } from '../types.ts';
import { layout, NODE_HEIGHT, NODE_WIDTH } from './graph-layout.ts';

const KIND_LABEL: Record<NodeKind, string> = {
  ingest: 'ingest API',
  source: 'source',
  topic: 'topic',
  'dead-letter': 'dead letters',
  'stream-job': 'stream job',
  table: 'real-time table',
  archiver: 'archiver',
  raw: 'raw zone',
  'batch-job': 'batch job',
  'lake-table': 'lake table',
  service: 'service',
  view: 'view',
};

type FlowNode = Node<{ node: GraphNode; sample: Sample | undefined }>;

function PartNode({ data }: NodeProps<FlowNode>) {
  const { node, sample } = data;
  const part = node.part ? sample?.parts[node.part] : undefined;
  const watermark = node.kind === 'stream-job' ? sample?.watermarks?.[node.name] : undefined;
  const counts = part ? Object.entries(part.counts).slice(0, watermark === undefined ? 3 : 1) : [];
  return (
    <div className={`gnode k-${node.kind}${part && (part.state === 'failed' || part.state === 'restarting') ? ' failing' : ''}`} style={{ width: NODE_WIDTH, height: NODE_HEIGHT }} data-node={node.id}>
      <Handle type="target" position={Position.Left} />
      <div className="gkind">{KIND_LABEL[node.kind]}</div>
      <div className="gname" title={node.name}>{node.name}</div>
      {(counts.length > 0 || watermark !== undefined) && (
        <div className="gcounts">
          {counts.map(([k, v]) => `${k} ${short(v)}`).join(' · ')}
          {watermark !== undefined && <span data-watermark={watermark}>{counts.length > 0 ? ' · ' : ''}watermark {clock(watermark)}</span>}
        </div>
      )}
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

/** A watermark as the nodes show it: the UTC time of day. */
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

const nodeTypes = { part: PartNode };

function edgeLabel(edge: Graph['edges'][number], sample: Sample | undefined): string | undefined {
  const bits: string[] = [];
  if (edge.part && edge.count) {
    const v = sample?.parts[edge.part]?.counts[edge.count];
    if (v !== undefined) bits.push(`${edge.count === 'deadLettered' ? 'dead' : edge.count} ${short(v)}`);
  }
  if (edge.group && sample?.lag[edge.group] !== undefined) bits.push(`lag ${short(sample.lag[edge.group])}`);
  return bits.length > 0 ? bits.join(' · ') : undefined;
}

function Detail({ node, sample, onClose }: { node: GraphNode; sample: Sample | undefined; onClose: () => void }) {
  const part = node.part ? sample?.parts[node.part] : undefined;
  const watermark = node.kind === 'stream-job' ? sample?.watermarks?.[node.name] : undefined;
  const isTopic = node.kind === 'topic' || node.kind === 'dead-letter';
  return (
    <aside className="detail card" aria-label="node detail">
      <button className="close" onClick={onClose} aria-label="close">×</button>
      <div className="muted small">{KIND_LABEL[node.kind]}{node.pipeline ? ` · ${node.pipeline}` : ''}</div>
      <h2>{node.name}</h2>
      {node.description && <p>{node.description}</p>}
      {isTopic && <p><a href={href('topics', node.name)}>Browse messages →</a></p>}
      {part && (
        <>
          <h3>Live</h3>
          <p><StateBadge state={part.state} /> {part.restarts > 0 && <span className="muted">{part.restarts} restarts</span>}</p>
          <table className="kv"><tbody>{Object.entries(part.counts).map(([k, v]) => <tr key={k}><th>{k}</th><td>{int(v)}</td></tr>)}</tbody></table>
          {watermark !== undefined && sample && (
            <p className="small" data-detail-watermark={watermark}>
              event-time watermark <b className="mono">{new Date(watermark).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</b>, {Math.max(0, Math.round((sample.at - watermark) / 1000))} s behind
            </p>
          )}
          {part.lastError && <div className="error-line"><code>{part.lastError.code}</code> {part.lastError.message}</div>}
        </>
      )}
      {node.config && (
        <>
          <h3>Config</h3>
          <pre>{JSON.stringify(node.config, null, 2)}</pre>
        </>
      )}
      {node.schema !== undefined && (
        <>
          <h3>Schema (JSON Schema)</h3>
          <pre>{JSON.stringify(node.schema, null, 2)}</pre>
        </>
      )}
    </aside>
  );
}

export default function GraphPage() {
  const graph = useQuery({ queryKey: ['graph'], queryFn: () => api<Graph>('/api/ui/graph') });
  const { samples } = useLive();
  const sample = latest(samples);
  const [selected, setSelected] = useState<string | undefined>();
  const positions = useMemo(() => (graph.data ? layout(graph.data) : undefined), [graph.data]);
  if (graph.isError) return <div className="card error">{graph.error.message}</div>;
  if (!graph.data || !positions) return <div className="loading">Loading the graph…</div>;
  const nodes: FlowNode[] = graph.data.nodes.map((n) => ({ id: n.id, type: 'part', position: positions.get(n.id)!, data: { node: n, sample }, selected: n.id === selected }));
  const edges: Edge[] = graph.data.edges.map((e) => {
    const label = edgeLabel(e, sample);
    const dead = e.count === 'deadLettered';
    return { id: e.id, source: e.source, target: e.target, animated: !dead && label !== undefined, ...(label ? { label } : {}), className: dead ? 'dead' : '', labelBgPadding: [4, 2] as [number, number], labelBgBorderRadius: 3 };
  });
  const chosen = graph.data.nodes.find((n) => n.id === selected);
  return (
    <div className="page graph-page">
      <header className="page-head">
        <h1>Pipeline graph</h1>
        <span className="muted">{graph.data.nodes.length} nodes · {graph.data.edges.length} edges · click a node for its detail</span>
      </header>
      <div className="graph-wrap">
        <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} fitView minZoom={0.2} nodesDraggable={false} nodesConnectable={false} onNodeClick={(_e, n) => setSelected(n.id)} onPaneClick={() => setSelected(undefined)} proOptions={{ hideAttribution: true }}>
          <Background gap={20} color="#e5e7eb" />
          <Controls showInteractive={false} />
        </ReactFlow>
        {chosen && <Detail node={chosen} sample={sample} onClose={() => setSelected(undefined)} />}
      </div>
    </div>
  );
}
