/**
 * The archiver benchmark case: N pin-shaped records (bench/workload.ts, about 200 bytes each) on the
 * embedded log, 4 partitions, timestamps spread over 24 hours; then the archiver is timed from its
 * start until every record is committed to the raw zone of a local lake (fs) as Parquet. Ranges roll
 * at 16 MiB or 500 ms. `cores` is the process's CPU time over that wall time (all threads, DuckDB's
 * included). The Parquet files are then read back with DuckDB and their rows counted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runArchiver } from '../src/batch/archiver.ts';
import { readManifest } from '../src/lake/catalog.ts';
import { openFsLake } from '../src/lake/fs/fs-lake.ts';
import { openEmbeddedLog } from '../src/log/embedded/embedded-log.ts';
import type { ProducerRecord } from '../src/log/log.ts';
import { pinRecords, progress, rssSampler } from './workload.ts';

const PARTITIONS = 4;
const DAY = 86_400_000;
const EPOCH = Date.UTC(2024, 0, 1);

export interface ArchiverCaseResult {
  case: 'archiver';
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  cores: number;
  rssMb: number;
  files: number;
  ranges: number;
  parquetMb: number;
  target: number;
}

export async function archiverCase(args: Record<string, string | boolean | undefined> = {}): Promise<ArchiverCaseResult> {
  const records = Number(args.records ?? 1_000_000);
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-bench-archiver-'));
  try {
    const log = await openEmbeddedLog({ dir: path.join(dir, 'log') });
    const lake = await openFsLake({ root: path.join(dir, 'lake') });
    await log.admin().createTopic('pins', { partitions: PARTITIONS });
    const pins = pinRecords();
    const producer = log.producer();
    const inFlight: Promise<unknown>[] = [];
    let inputBytes = 0;
    progress(`archiver: producing ${records} records`);
    for (let sent = 0; sent < records; sent += 1000) {
      const batch: ProducerRecord[] = [];
      for (let i = sent; i < Math.min(sent + 1000, records); i++) {
        const pin = pins[i % pins.length]!;
        inputBytes += pin.key.length + pin.value.length;
        batch.push({ topic: 'pins', key: pin.key, value: pin.value, timestamp: EPOCH + Math.floor((i / records) * DAY) });
      }
      inFlight.push(producer.send(batch));
      if (inFlight.length >= 64) await inFlight.shift();
    }
    await Promise.all(inFlight);
    await producer.close();

    progress('archiver: archiving');
    const rss = rssSampler();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const stop = new AbortController();
    let archived = 0;
    const totals = await runArchiver({
      log,
      lake,
      topics: ['pins'],
      rollBytes: 16 * 1024 * 1024,
      rollMs: 500,
      signal: stop.signal,
      onFile: (file) => {
        archived += file.rows;
        if (archived >= records) stop.abort();
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const rssMb = rss.stop();
    const manifest = await readManifest(lake, 'raw', 'pins');
    const rows = Object.values(manifest.partitions).reduce((n, p) => n + p.rows, 0);
    if (rows !== records || totals.records !== records) throw new Error(`archiver bench: ${rows} rows in the manifest, ${totals.records} archived, ${records} produced`);
    await log.close();
    await lake.close();
    return {
      case: 'archiver',
      records,
      recordsPerSec: Math.round(records / seconds),
      mbPerSec: Math.round((inputBytes / 1024 / 1024 / seconds) * 10) / 10,
      cores: Math.round(((used.user + used.system) / 1e6 / seconds) * 100) / 100,
      rssMb,
      files: totals.files,
      ranges: totals.ranges,
      parquetMb: Math.round((totals.bytes / 1024 / 1024) * 10) / 10,
      target: 200_000,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What bench/batch.ts runs (its BatchBenchCase and BatchRunMeasure, kept structural here). */
interface BatchRunMeasure {
  recordsPerSec: number;
  rssMb: number;
  cores: number;
  detail?: Record<string, number>;
}
interface BatchBenchCase {
  case: string;
  run(args: { rows: number; repeat: number }): Promise<BatchRunMeasure[]>;
}

/** For `npm run bench -- batch`: 1,000,000 records (fewer when `--rows` is smaller), `--repeat` runs. */
export const cases: BatchBenchCase[] = [
  {
    case: 'archiver',
    async run({ rows, repeat }) {
      const measures: BatchRunMeasure[] = [];
      for (let i = 0; i < repeat; i++) {
        const r = await archiverCase({ records: String(Math.min(rows, 1_000_000)) });
        measures.push({ recordsPerSec: r.recordsPerSec, rssMb: r.rssMb, cores: r.cores, detail: { records: r.records, mbPerSec: r.mbPerSec, files: r.files, ranges: r.ranges, parquetMb: r.parquetMb, target: r.target } });
      }
      return measures;
    },
  },
];
