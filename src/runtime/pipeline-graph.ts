/**
 * The graph of the loaded pipelines, as the UI draws it: what each part reads and writes.
 *
 *   ingest / sources ──► topics ──┬─► stream jobs ──► tables (real-time views) and dead-letter topics
 *                                 └─► archiver ──► raw datasets ──► batch jobs ──► lake tables
 *   services (emulators, the halves of merged views) ──► views
 *
 * Glossary:
 * - node id: `<kind>:<name>`, unique over every loaded pipeline (a topic two pipelines share is one node).
 * - part: the node's entry in the live status (`PartStatus` name), when the node runs as a part; the
 *   UI takes its counts and state from there.
 * - group: the consumer group a stream job reads as; its lag belongs on the edge from the topic.
 *
 * Built from the declarations alone: nothing here opens a resource.
 */
import { z } from 'zod';
import { topicDataset } from '../batch/archiver-layout.ts';
import { deadLetterTopic } from '../stream/dead-letter.ts';
import type { DefinedPipeline } from './pipeline.ts';

export type GraphNodeKind = 'ingest' | 'source' | 'topic' | 'dead-letter' | 'stream-job' | 'table' | 'archiver' | 'raw' | 'batch-job' | 'lake-table' | 'service' | 'view';

export interface GraphNode {
  id: string;
  kind: GraphNodeKind;
  name: string;
  pipeline?: string;
  description?: string;
  /** The live status entry of this node, when it runs as a part. */
  part?: string;
  /** Declared settings worth showing: a schedule, a job's kind, a source's config. */
  config?: Record<string, unknown>;
  /** A topic's record schema as JSON Schema (draft 2020-12), made from its zod schema. */
  schema?: unknown;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  /** The part whose count this edge shows, and which count (`in`, `out`, `deadLettered`, …). */
  part?: string;
  count?: string;
  /** The consumer group whose lag this edge shows. */
  group?: string;
}

export interface PipelineGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** A zod schema as JSON Schema; what JSON Schema cannot say is left open. */
export function jsonSchemaOf(schema: z.ZodType): unknown {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  return rest;
}

function scheduleText(schedule: { everyMs: number } | { cron: string; timezone?: string } | undefined): string | undefined {
  if (!schedule) return undefined;
  return 'cron' in schedule ? `cron ${schedule.cron}${schedule.timezone ? ` (${schedule.timezone})` : ''}` : `every ${schedule.everyMs} ms`;
}

export function pipelineGraph(pipelines: readonly DefinedPipeline[]): PipelineGraph {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const node = (n: GraphNode) => {
    if (!nodes.has(n.id)) nodes.set(n.id, n);
    return n.id;
  };
  const edge = (source: string, target: string, extra: Omit<GraphEdge, 'id' | 'source' | 'target'> = {}) => {
    const id = `${source}->${target}`;
    if (!edges.has(id)) edges.set(id, { id, source, target, ...extra });
  };
  const topicNode = (name: string, pipeline: string) => node({ id: `topic:${name}`, kind: 'topic', name, pipeline });
  const archived: string[] = [];

  for (const p of pipelines) {
    for (const t of p.topics) {
      const id = node({ id: `topic:${t.name}`, kind: 'topic', name: t.name, pipeline: p.name, schema: jsonSchemaOf(t.schema), config: { ingest: t.ingest === true, archive: t.archive !== false, ...(t.keyField ? { keyField: t.keyField } : {}), ...(t.timeField ? { timeField: t.timeField } : {}) }, ...(t.description ? { description: t.description } : {}) });
      if (t.ingest) edge(node({ id: 'ingest', kind: 'ingest', name: 'ingest API', part: 'ingest', description: 'POST /ingest/<topic>' }), id);
      if (t.archive !== false) archived.push(t.name);
    }
    for (const s of p.sources) {
      const id = node({ id: `source:${s.name}`, kind: 'source', name: s.name, pipeline: p.name, part: s.name, config: { component: s.component.name, schedule: scheduleText(s.schedule), config: s.config }, ...(s.description ? { description: s.description } : {}) });
      const written = (s.config as { topic?: unknown } | null)?.topic;
      if (typeof written === 'string') edge(id, topicNode(written, p.name));
    }
    for (const j of p.streamJobs) {
      const id = node({ id: `job:${j.name}`, kind: 'stream-job', name: j.name, pipeline: p.name, part: j.name, config: { kind: j.kind, topic: j.pipeline.topic } });
      edge(topicNode(j.pipeline.topic, p.name), id, { part: j.name, count: 'in', group: `job.${j.name}` });
      const table = j.kind === 'windowed' ? j.table : 'table' in j.output ? j.output.table : undefined;
      if (table) edge(id, node({ id: `table:${table.name}`, kind: 'table', name: table.name, pipeline: p.name, config: { key: table.key, columns: table.columns } }), { part: j.name, count: j.kind === 'windowed' ? 'results' : 'out' });
      else if (j.kind === 'stateless' && 'topic' in j.output) edge(id, topicNode(j.output.topic, p.name), { part: j.name, count: 'out' });
      if (j.kind === 'stateless') edge(id, node({ id: `dlq:${j.name}`, kind: 'dead-letter', name: deadLetterTopic(j.name), pipeline: p.name }), { part: j.name, count: 'deadLettered' });
    }
    for (const b of p.batchJobs) {
      const id = node({ id: `batch:${b.job.name}`, kind: 'batch-job', name: b.job.name, pipeline: p.name, part: b.job.name, config: { schedule: scheduleText(b.schedule) ?? 'on demand', mode: b.job.output.mode }, ...(b.job.description ? { description: b.job.description } : {}) });
      for (const input of b.job.inputs) {
        const kind = input.zone === 'raw' ? 'raw' : 'lake-table';
        edge(node({ id: `lake:${input.zone}/${input.dataset}`, kind, name: `${input.zone}/${input.dataset}`, pipeline: p.name }), id);
      }
      edge(id, node({ id: `lake:${b.job.output.zone}/${b.job.output.dataset}`, kind: 'lake-table', name: `${b.job.output.zone}/${b.job.output.dataset}`, pipeline: p.name }));
    }
    for (const s of p.services) node({ id: `service:${s.name}`, kind: 'service', name: s.name, pipeline: p.name, part: s.name, ...(s.description ? { description: s.description } : {}) });
    for (const v of p.views) {
      const id = node({ id: `view:${v.name}`, kind: 'view', name: v.name, pipeline: p.name, description: v.description });
      // A merged view's halves are services and tables named after it.
      for (const n of [...nodes.values()]) if ((n.kind === 'service' || n.kind === 'table' || n.kind === 'lake-table') && n.name.replace(/^curated\//, '').startsWith(v.name)) edge(n.id, id);
    }
  }
  if (archived.length > 0) {
    const archiver = node({ id: 'archiver', kind: 'archiver', name: 'archiver', part: 'archiver', description: 'copies topics into the raw zone' });
    for (const topic of archived) {
      edge(`topic:${topic}`, archiver);
      const raw = `lake:raw/${topicDataset(topic)}`;
      edge(archiver, node({ id: raw, kind: 'raw', name: `raw/${topicDataset(topic)}` }));
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}
