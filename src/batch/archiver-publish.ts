/**
 * Publishing one rolled range: stage its Parquet files, check that it continues the partition's
 * archived history, upload the files, and commit them to the catalog as one run. See archiver.ts for
 * why this order loses and repeats nothing.
 */
import { createReadStream } from 'node:fs';
import { commitFiles, type Column } from '../lake/catalog.ts';
import type { Lake } from '../lake/lake.ts';
import { archivedPositions } from './archiver-layout.ts';
import type { ArchiveBuffer, ArchiveWriter } from './archiver-writer.ts';

export interface PublishedFile {
  key: string;
  rows: number;
  bytes: number;
}

export type PublishOutcome = { kind: 'committed'; files: PublishedFile[] } | { kind: 'lost' };

export interface PublishRange {
  lake: Lake;
  writer: ArchiveWriter;
  buffer: ArchiveBuffer;
  dataset: string;
  job: string;
  runId: string;
  schema: readonly Column[];
}

export async function publishRange(p: PublishRange): Promise<PublishOutcome> {
  const { lake, writer, buffer } = p;
  try {
    const staged = await p.writer.stage(buffer);
    // A range must start where the catalog's history of its partition ends: otherwise another
    // writer has archived past this one's start (the run id fences the exact same start).
    const archived = (await archivedPositions(lake, buffer.topic)).get(buffer.partition);
    if (archived !== undefined && archived !== buffer.from) return { kind: 'lost' };
    const files: PublishedFile[] = [];
    for (const file of staged) {
      const key = `raw/${p.dataset}/${file.partition}/part-${file.id}.parquet`;
      const object = await lake.put(key, createReadStream(file.file), { contentType: 'application/vnd.apache.parquet' });
      files.push({ key, rows: file.rows, bytes: object.size });
    }
    const manifest = await commitFiles(lake, 'raw', p.dataset, { runId: p.runId, job: p.job, schema: [...p.schema], mode: 'append', files });
    const committed = new Set(manifest.runs[p.runId]?.files ?? []);
    if (!files.every((f) => committed.has(f.key))) {
      // The run id was taken by another writer's range with the same start: ours is not part of the
      // dataset, so its objects are garbage.
      await Promise.all(files.map((f) => lake.delete(f.key)));
      return { kind: 'lost' };
    }
    return { kind: 'committed', files };
  } finally {
    await writer.removeStaged(buffer);
  }
}
