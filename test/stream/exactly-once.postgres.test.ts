import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { tempDir } from '../support/cli.ts';
import { endpoint, uniqueName } from '../support/services.ts';

const child = new URL('./fixtures/pg-job.ts', import.meta.url).pathname;
const ORDERS = 40_000;

/** Run the job in a child process; SIGKILL it once it has committed `killAfterBatches` batches, unless it finishes first. */
async function runJob(dir: string, table: string, killAfterBatches?: number): Promise<{ killed: boolean }> {
  const proc = spawn(process.execPath, [child, dir, table], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env } });
  let batches = 0;
  let killed = false;
  proc.stdout.on('data', (chunk: Buffer) => {
    batches += chunk.toString('utf8').split('batch').length - 1;
    // The kill lands while the next batch is being written, or between batches.
    if (killAfterBatches !== undefined && batches >= killAfterBatches && !killed) killed = proc.kill('SIGKILL');
  });
  const code = await new Promise<number | null>((resolve) => proc.on('exit', (c) => resolve(c)));
  if (!killed) expect(code).toBe(0);
  return { killed };
}

describe('a stream job into PostgreSQL', () => {
  const client = new pg.Client({ connectionString: endpoint('TRIBUTARY_POSTGRES_URL') });
  const table = uniqueName('orders');
  afterAll(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(`DELETE FROM tributary_sink_positions WHERE tbl = $1`, [table]).catch(() => undefined);
    await client.end();
  });

  it('should reflect every record exactly once after 20 SIGKILLs at random points', { timeout: 240_000 }, async () => {
    await client.connect();
    // Every write of a row after its first bumps `writes`, so a record applied twice shows up.
    await client.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, amount double precision, writes integer)`);
    await client.query(`CREATE FUNCTION ${table}_count() RETURNS trigger AS $$ BEGIN NEW.writes := OLD.writes + 1; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await client.query(`CREATE TRIGGER ${table}_writes BEFORE UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${table}_count()`);

    const dir = await tempDir();
    const log = await openEmbeddedLog({ dir });
    await log.admin().createTopic('orders', { partitions: 3 });
    const producer = log.producer();
    for (let i = 0; i < ORDERS; i += 1000) {
      await producer.send(Array.from({ length: 1000 }, (_, j) => ({ topic: 'orders', key: Buffer.from(String(i + j)), value: Buffer.from(JSON.stringify({ id: i + j, amount: (i + j) / 100 })) })));
    }
    await log.close();

    let kills = 0;
    while (kills < 20) {
      const { killed } = await runJob(dir, table, 1 + Math.floor(Math.random() * 25));
      if (killed) kills++;
      else break; // it finished before the kill: nothing left to interrupt
    }
    await runJob(dir, table);

    const { rows } = await client.query<{ n: string; ids: string; max_writes: number; total: number }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS ids, max(writes) AS max_writes, sum(amount) AS total FROM ${table}`,
    );
    expect(kills).toBe(20);
    expect(Number(rows[0]?.n)).toBe(ORDERS);
    expect(Number(rows[0]?.ids)).toBe(ORDERS);
    expect(rows[0]?.max_writes).toBe(1);
    expect(rows[0]?.total).toBeCloseTo(((ORDERS - 1) * ORDERS) / 2 / 100, 6);
  });
});
