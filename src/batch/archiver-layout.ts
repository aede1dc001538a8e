/**
 * Where the archiver puts a topic in the lake, and how the catalog records which offsets it holds.
 *
 * - dataset: `raw/<dataset>` with the topic name lower-cased and every character outside
 *   `[a-z0-9_-]` turned into `_` (`Clicks.v2` → `clicks_v2`). Two topics that map to the same
 *   dataset cannot be archived together (TOPIC_INVALID).
 * - run: one catalog commit per rolled range of one partition, run id `archiver.p<partition>.<from>`
 *   and job `archiver:<topic>`. The id is deterministic in the range's first offset, so two archivers
 *   that race for the same range (a rebalance, a restart while the old process still commits) make
 *   the same run id, and the catalog lets exactly one of them commit it.
 * - files: `raw/<dataset>/dt=YYYY-MM-DD/hr=HH/part-p<partition>-<from>-<to>-<writer>.parquet`, one per
 *   event-time hour the range touches; `from` is the first offset the range covers (one past the
 *   previous range's `to`, which on Kafka may be an offset with no record), `to` the offset of its
 *   last record (inclusive), `writer` a random
 *   tag of the process, so a writer never replaces a file another one committed.
 *
 * The catalog is the source of truth for what is archived: a partition's next offset is one past the
 * largest `to` among its committed runs (`archivedPositions`).
 */
import { TributaryError, isTributaryError } from '../errors.ts';
import { readManifest, type Manifest } from '../lake/catalog.ts';
import type { Lake } from '../lake/lake.ts';

/** The archive's columns, as the manifest records them. */
export const archiveSchema = [
  { name: 'topic', type: 'VARCHAR' },
  { name: 'partition', type: 'INTEGER' },
  { name: 'offset', type: 'BIGINT' },
  { name: 'timestamp', type: 'TIMESTAMP' },
  { name: 'key', type: 'VARCHAR' },
  { name: 'value', type: 'VARCHAR' },
  { name: 'headers', type: 'VARCHAR' },
] as const;

export function topicDataset(topic: string): string {
  const dataset = topic.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  return /^[a-z0-9]/.test(dataset) ? dataset.slice(0, 128) : `t${dataset}`.slice(0, 128);
}

/** The datasets of `topics`, checked to be distinct. */
export function topicDatasets(topics: readonly string[]): Map<string, string> {
  const byDataset = new Map<string, string>();
  const datasets = new Map<string, string>();
  for (const topic of new Set(topics)) {
    const dataset = topicDataset(topic);
    const other = byDataset.get(dataset);
    if (other !== undefined) throw new TributaryError('TOPIC_INVALID', `Topics "${other}" and "${topic}" would both be archived as raw/${dataset}; archive them separately or rename one`);
    byDataset.set(dataset, topic);
    datasets.set(topic, dataset);
  }
  return datasets;
}

export function archiverJob(topic: string): string {
  return `archiver:${topic}`;
}

export function archiverRunId(partition: number, from: number): string {
  return `archiver.p${partition}.${from}`;
}

export function archiveFileId(partition: number, from: number, to: number, writer: string, index: number): string {
  return `p${partition}-${from}-${to}-${writer}${index === 0 ? '' : `-${index}`}`;
}

const RUN = /^archiver\.p(\d+)\.(\d+)$/;
const FILE = /\/part-p(\d+)-(\d+)-(\d+)-[A-Za-z0-9]+(?:-\d+)?\.parquet$/;

export interface ArchivedRange {
  partition: number;
  from: number;
  /** The last offset, inclusive. */
  to: number;
  run: string;
}

/** The ranges a manifest's archiver runs for `topic` hold, in partition and offset order. */
export function archivedRanges(manifest: Manifest, topic: string): ArchivedRange[] {
  const job = archiverJob(topic);
  const ranges: ArchivedRange[] = [];
  for (const [run, entry] of Object.entries(manifest.runs)) {
    const id = RUN.exec(run);
    if (entry.job !== job || !id) continue;
    let to = -1;
    for (const key of entry.files) {
      const file = FILE.exec(key);
      if (file) to = Math.max(to, Number(file[3]));
    }
    if (to >= 0) ranges.push({ partition: Number(id[1]), from: Number(id[2]), to, run });
  }
  return ranges.sort((a, b) => a.partition - b.partition || a.from - b.from);
}

/** Per partition, the next offset to archive: one past the last committed. Empty for a topic never archived. */
export async function archivedPositions(lake: Lake, topic: string): Promise<Map<number, number>> {
  let manifest: Manifest;
  try {
    manifest = await readManifest(lake, 'raw', topicDataset(topic));
  } catch (error) {
    if (isTributaryError(error, 'LAKE_NOT_FOUND')) return new Map();
    throw error;
  }
  return positionsOf(archivedRanges(manifest, topic));
}

export function positionsOf(ranges: readonly ArchivedRange[]): Map<number, number> {
  const next = new Map<number, number>();
  for (const range of ranges) next.set(range.partition, Math.max(next.get(range.partition) ?? 0, range.to + 1));
  return next;
}
