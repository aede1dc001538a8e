/**
 * `kill -9` at random points of `batch run` (a real process, the CLI as a user runs it), over inputs
 * that change between runs. Throughout, a reader sees one committed output whole or another, never a
 * part; after the next run no orphan files are left, every killed run is failed (or succeeded, when
 * its commit landed before the kill) in the history, and the quarantine holds each bad row once.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { torontoApartmentsJob } from '../../examples/toronto-kijiji/toronto-job.ts';
import { runBatchJob } from '../../src/batch/run-batch-job.ts';
import { openLakeTables } from '../../src/lake/tables/open-tables.ts';
import { query as sql } from '../../src/lake/tables/sql.ts';
import type { LakeTables } from '../../src/lake/tables/tables.ts';
import { RAW, head, putFile, toronto, type Fixture } from './batch-support.ts';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TORONTO = fileURLToPath(new URL('../../examples/toronto-kijiji', import.meta.url));

export interface KillSetup {
  f: Fixture;
  /** The environment that points the CLI at the fixture's lake, metadata and tables. */
  env: Record<string, string>;
  /** The embedded catalog is one process's at a time: the test reads only between runs. */
  shared: boolean;
}

/** A small deterministic generator, so a failure can be replayed with the same kill points. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Outcome {
  rows: bigint;
  sum: number;
}

async function observe(tables: LakeTables): Promise<{ out?: Outcome; quarantine: bigint; keys: bigint }> {
  const c = await tables.instance.connect();
  try {
    if (!(await tables.exists('processed', 'toronto_apartments'))) return { quarantine: 0n, keys: 0n };
    // One transaction: the output and its quarantine as of one snapshot.
    await c.run('BEGIN TRANSACTION');
    const [o] = await sql(c, `SELECT count(*) AS rows, round(sum(score * rsn), 1) AS sum FROM ${tables.relation('processed', 'toronto_apartments')}`);
    const [q] = await sql(c, `SELECT count(*) AS n, count(DISTINCT (file, "row", line)) AS keys FROM "${tables.alias}".quarantine.processed_toronto_apartments`);
    await c.run('COMMIT');
    return { out: { rows: o?.rows as bigint, sum: Number(o?.sum) }, quarantine: q?.n as bigint, keys: q?.keys as bigint };
  } finally {
    c.closeSync();
  }
}

function cliRun(env: Record<string, string>, cwd: string): { done: Promise<number | null>; kill(): void } {
  const child = spawn(process.execPath, ['--conditions=tributary-source', main, 'batch', 'run', 'toronto-apartments', '--pipeline', TORONTO], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void done.then((code) => {
    if (code !== 0 && code !== null) process.stderr.write(`batch run exited ${code}: ${stderr}\n`);
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

export function itSurvivesKills(name: string, setup: () => Promise<KillSetup>, kills: number, seed = 14): void {
  it(`${name}: ${kills} kill -9s at random points of batch run should leave no partial output, no orphans, no running runs and no quarantine duplicates`, async () => {
    const { f, env, shared } = await setup();
    const versions = [3000, 2900];
    // What each input version's output is, from in-process runs on scratch datasets.
    const expected: Outcome[] = [];
    for (const [i, lines] of versions.entries()) {
      const scratch = `scratch-${i}`;
      await putFile(f.lake, `raw/${scratch}/dt=2026-01-01/pre.csv`, await head(toronto.pre2023, 2000));
      await putFile(f.lake, `raw/${scratch}/dt=2026-01-01/current.csv`, await head(toronto.current, lines));
      await runBatchJob(torontoApartmentsJob({ name: scratch, input: scratch, output: `scratch_${i}` }), f);
      const [o] = await query(f.tables, `SELECT count(*) AS rows, round(sum(score * rsn), 1) AS sum FROM ${f.tables.relation('processed', `scratch_${i}`)}`);
      expected.push({ rows: o?.rows as bigint, sum: Number(o?.sum) });
    }
    expect(expected[0]).not.toEqual(expected[1]);
    await putFile(f.lake, `${RAW}/dt=2026-01-01/pre.csv`, await head(toronto.pre2023, 2000));
    let tables = f.tables;
    if (!shared) await tables.close();
    const reopen = async () => (shared ? tables : await openLakeTables(f.settings));
    const check = async () => {
      const t = await reopen();
      try {
        const seen = await observe(t);
        if (seen.out) expect(expected).toContainEqual(seen.out);
        expect(seen.quarantine).toBe(seen.keys);
        return seen;
      } finally {
        if (!shared) await t.close();
      }
    };
    const random = mulberry32(seed);
    // How long a run takes here, from its start in the history to its end, to spread the kills over it.
    await putFile(f.lake, `${RAW}/dt=2026-02-01/current.csv`, await head(toronto.current, versions[0]!));
    expect(await cliRun(env, f.dir).done).toBe(0);
    const [measured] = await f.metadata.runs('toronto-apartments', { limit: 1 });
    const length = measured!.finished!.getTime() - measured!.started.getTime();
    let readerErrors: unknown[] = [];
    let reads = 0;
    for (let i = 0; i < kills; i++) {
      const day = String(i + 2).padStart(2, '0');
      await putFile(f.lake, `${RAW}/dt=2026-02-${day}/current.csv`, await head(toronto.current, versions[(i + 1) % 2]!));
      const before = (await f.metadata.runs('toronto-apartments', { limit: 1 }))[0]?.runId;
      const child = cliRun(env, f.dir);
      let exited = false;
      void child.done.then(() => (exited = true));
      const at = random() * length * 1.2;
      let stop = false;
      const reader = shared
        ? (async () => {
            while (!stop) {
              await check().catch((e: unknown) => readerErrors.push(e));
              reads++;
              // Leave the run some of the two cores.
              await new Promise((resolve) => setTimeout(resolve, 30));
            }
          })()
        : Promise.resolve();
      // The kill point is measured from the moment the run records itself as started.
      while (!exited && (await f.metadata.runs('toronto-apartments', { limit: 1 }))[0]?.runId === before) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, at));
      child.kill();
      await child.done;
      stop = true;
      await reader;
      expect(readerErrors).toEqual([]);
      await check();
    }
    // The next run: recovers, then processes the last inputs.
    expect(await cliRun(env, f.dir).done).toBe(0);
    tables = await reopen();
    try {
      const last = expected[kills % 2]!;
      expect((await observe(tables)).out).toEqual(last);
      const c = await tables.instance.connect();
      const orphans = await sql(c, `CALL ducklake_delete_orphaned_files('${tables.alias}', older_than => now() + INTERVAL 1 HOUR, dry_run => true)`);
      c.closeSync();
      expect(orphans).toEqual([]);
    } finally {
      if (!shared) await tables.close();
    }
    const runs = await f.metadata.runs('toronto-apartments', { limit: 1000 });
    expect(runs.filter((r) => r.status === 'running')).toEqual([]);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    const failed = runs.filter((r) => r.status === 'failed');
    for (const r of failed) expect(r.error).toMatch(/^interrupted: /);
    // Most kill points fall inside a run (a few before it started or after it finished).
    expect(failed.length).toBeGreaterThan(0);
    if (shared) expect(reads).toBeGreaterThan(0);
    readerErrors = [];
    // A hang guard only: each run is a new process that loads DuckDB and its extensions.
  }, 600_000);
}

async function query(tables: LakeTables, text: string): Promise<Record<string, unknown>[]> {
  const c = await tables.instance.connect();
  try {
    return await sql(c, text);
  } finally {
    c.closeSync();
  }
}
