/**
 * Running a batch job: recover from a run that died, compare the current inputs with those the
 * output was computed from, and run once over the current inputs when they differ (run-unit.ts).
 *
 * The incremental rule (docs/batch.md): the output is a function of the current inputs, for each
 * source resource its latest version. A run replaces every output partition that the old or the new
 * rows of a changed, added or removed resource touch, recomputed from all current resources. With
 * nothing changed the run is skipped; `full` recomputes the whole output.
 *
 * Recovery, when a run starts: runs of the job still recorded as running died (a job's runs do not
 * overlap). One whose commit is in the lake (its run id in a snapshot's message) is recorded as
 * succeeded, the others as failed; files they wrote that no snapshot references are deleted.
 */
import { randomBytes } from 'node:crypto';
import { TributaryError } from '../errors.ts';
import type { Lake } from '../lake/lake.ts';
import { deleteOrphansUnder } from '../lake/tables/maintenance.ts';
import type { LakeTables, TableZone } from '../lake/tables/tables.ts';
import type { MetadataStore, RunCounts } from '../metadata/metadata.ts';
import type { BatchJob, DriftPolicy, ErrorBudget } from './batch-job.ts';
import { INPUTS_SCHEMA, QUARANTINE_SCHEMA, companionName, readInputState } from './batch-tables.ts';
import { currentInputs } from './current.ts';
import type { UriOf } from './inputs.ts';
import { runUnit, type CommitNote, type UnitPlan, type UnitResult } from './run-unit.ts';

export interface BatchRunOptions {
  /** Recompute the whole output from the current inputs. */
  full?: boolean;
  errorBudget?: ErrorBudget;
  schemaDrift?: DriftPolicy;
  onEvent?: (event: BatchEvent) => void;
}

export type BatchEvent =
  | { type: 'batch:run:recovered'; job: string; succeeded: string[]; failed: string[]; orphans: number }
  | { type: 'batch:plan:ready'; job: string; units: string[]; changed: string[]; removed: string[]; skipped: number }
  | { type: 'batch:unit:started'; job: string; unit: string; runId: string }
  | { type: 'batch:unit:finished'; job: string; result: UnitResult };

export interface BatchDeps {
  lake: Lake;
  metadata: MetadataStore;
  /** The lake's tables, attached to the DuckDB instance the job runs on. */
  tables: LakeTables;
}

export interface BatchRunSummary {
  job: string;
  /** The run, or none when the inputs were unchanged. */
  units: UnitResult[];
  /**
   * 1 when the run was skipped because no input changed since the output was computed. With no run
   * and nothing skipped, the job has no input at all yet.
   */
  skipped: number;
  /** Resources new or changed, and removed, since the output was computed. */
  changed: string[];
  removed: string[];
  counts: RunCounts;
  failed: number;
  durationMs: number;
}

function runIdOf(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `r${stamp}-${randomBytes(3).toString('hex')}`;
}

/** What a run would process: undefined when nothing changed (and not `full`). */
export async function planRun(job: BatchJob, lake: Lake, tables: LakeTables, options: Pick<BatchRunOptions, 'full'> = {}): Promise<{ plan?: UnitPlan; changed: string[]; removed: string[] }> {
  const zone = job.output.zone as TableZone;
  const inputs = await currentInputs(lake, tables, job.inputs);
  const everything = inputs.flatMap((i) => i.files.map((f) => f.key));
  const state = await readInputState(tables, zone, job.output.dataset);
  // Never computed and nothing to compute from (no source has written yet): nothing to do.
  if (!state && everything.length === 0) return { changed: [], removed: [] };
  if (options.full || !state || !(await tables.exists(zone, job.output.dataset))) {
    return { plan: { inputs, changed: new Set(everything), oldPartitions: 'all' }, changed: inputs.flatMap((i) => i.files.map((f) => f.resource)), removed: [] };
  }
  const previous = new Map(state.map((s) => [`${s.input}\u0000${s.resource}`, s]));
  const changed = new Set<string>();
  const changedResources: string[] = [];
  let old: Set<string> | 'all' = new Set();
  const addOld = (partitions: string[] | null) => {
    if (old === 'all') return;
    if (partitions === null) old = 'all';
    else for (const p of partitions) old.add(p);
  };
  for (const current of inputs) {
    for (const file of current.files) {
      const id = `${current.input.name}\u0000${file.resource}`;
      const before = previous.get(id);
      previous.delete(id);
      if (before && before.file === file.key && before.etag === file.etag) continue;
      changed.add(file.key);
      changedResources.push(file.resource);
      // A changed table input: which output partitions its rows reach is not known, so all.
      if (current.input.kind === 'dataset' && current.input.zone !== 'raw') old = 'all';
      if (before) addOld(before.partitions);
    }
  }
  const removed = [...previous.values()];
  for (const gone of removed) addOld(gone.partitions);
  if (changed.size === 0 && removed.length === 0) return { changed: [], removed: [] };
  return { plan: { inputs, changed, oldPartitions: old }, changed: changedResources, removed: removed.map((r) => r.resource) };
}

/** See the module comment: settles runs that died, and deletes the files they left. */
export async function recover(job: BatchJob, deps: BatchDeps, runId: string, now: Date): Promise<{ succeeded: string[]; failed: string[]; orphans: number }> {
  const running = (await deps.metadata.runs(job.name, { limit: 1000 })).filter((r) => r.status === 'running');
  const succeeded: string[] = [];
  if (running.length) {
    const ids = new Set(running.map((r) => r.runId));
    for (const snapshot of await deps.tables.snapshots()) {
      let note: Partial<CommitNote> | undefined;
      try {
        note = snapshot.message?.startsWith('{') ? (JSON.parse(snapshot.message) as Partial<CommitNote>) : undefined;
      } catch {
        note = undefined;
      }
      if (note?.job !== job.name || !note.run || !ids.has(note.run) || !note.counts) continue;
      await deps.metadata.finishRun(note.run, { status: 'succeeded', finished: snapshot.time, counts: note.counts });
      succeeded.push(note.run);
    }
  }
  const failed = await deps.metadata.failRunning(job.name, now, `interrupted: the run stopped before it finished (its process died); found by run ${runId}`);
  const zone = job.output.zone as TableZone;
  const base = deps.tables.dataPath;
  const name = companionName(zone, job.output.dataset);
  const prefixes = [`${base}${zone}/${job.output.dataset}/`, `${base}${QUARANTINE_SCHEMA}/${name}/`, `${base}${INPUTS_SCHEMA}/${name}/`];
  const root = deps.lake.engineUri('x').slice(0, -1);
  const orphans = await deleteOrphansUnder(deps.tables, prefixes, now, async (file) => {
    if (!file.startsWith(root)) throw new TributaryError('INTERNAL', `Orphan ${file} is outside the lake (${root}); delete it with tributary lake vacuum`);
    await deps.lake.delete(file.slice(root.length));
  });
  return { succeeded: succeeded.sort(), failed, orphans: orphans.length };
}

/** Reads raw objects in place: DuckDB reads local files, and s3:// through the tables' S3 secret when the tables live in the same bucket. */
export function uriOf(lake: Lake, tables: LakeTables): UriOf {
  const bucket = /^s3:\/\/[^/]+\//.exec(tables.dataPath)?.[0];
  const inPlace = lake.backend === 'fs' || (bucket !== undefined && lake.engineUri('x').startsWith(bucket));
  return inPlace ? (key) => Promise.resolve(lake.engineUri(key)) : (key) => lake.localPath(key);
}

export async function runBatchJob(job: BatchJob, deps: BatchDeps, options: BatchRunOptions = {}): Promise<BatchRunSummary> {
  const started = new Date();
  const runId = runIdOf(started);
  const recovered = await recover(job, deps, runId, started);
  if (recovered.failed.length || recovered.succeeded.length || recovered.orphans) options.onEvent?.({ type: 'batch:run:recovered', job: job.name, ...recovered });
  const { plan, changed, removed } = await planRun(job, deps.lake, deps.tables, options);
  const noInput = !plan && changed.length === 0 && removed.length === 0 && !(await readInputState(deps.tables, job.output.zone as TableZone, job.output.dataset));
  const skipped = plan || noInput ? 0 : 1;
  options.onEvent?.({ type: 'batch:plan:ready', job: job.name, units: plan ? ['*'] : [], changed, removed, skipped });
  const units: UnitResult[] = [];
  if (plan) {
    options.onEvent?.({ type: 'batch:unit:started', job: job.name, unit: '*', runId });
    const result = await runUnit(
      job,
      plan,
      { lake: deps.lake, metadata: deps.metadata, tables: deps.tables, uriOf: uriOf(deps.lake, deps.tables) },
      { runId, errorBudget: options.errorBudget ?? job.errorBudget ?? {}, schemaDrift: options.schemaDrift ?? job.schemaDrift ?? 'fail' },
    );
    units.push(result);
    options.onEvent?.({ type: 'batch:unit:finished', job: job.name, result });
  }
  const counts: RunCounts = units[0]?.counts ?? { read: 0, written: 0, quarantined: 0, filtered: 0, files: 0 };
  return { job: job.name, units, skipped, changed, removed, counts, failed: units.filter((u) => u.status === 'failed').length, durationMs: Date.now() - started.getTime() };
}
