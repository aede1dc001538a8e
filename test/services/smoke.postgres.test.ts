import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoint, uniqueName } from '../support/services.ts';

const ROWS = 100_000;

function* rows(): Generator<string> {
  for (let id = 1; id <= ROWS; id++) yield `${id}\tname-${id}\t${(id * 7919) % 1_000_003}\n`;
}

describe('PostgreSQL smoke test', () => {
  const client = new pg.Client({ connectionString: endpoint('TRIBUTARY_POSTGRES_URL') });
  const table = uniqueName('smoke');
  beforeAll(() => client.connect());
  afterAll(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  });

  it('should COPY 100,000 rows in and read back the same count and checksum', async () => {
    await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, name text NOT NULL, score int NOT NULL)`);
    await pipeline(Readable.from(rows()), client.query(copyFrom(`COPY ${table} (id, name, score) FROM STDIN`)));

    const expected = createHash('md5');
    let expectedSum = 0;
    for (const line of rows()) {
      const [id, name, score] = line.trimEnd().split('\t');
      expected.update(`${id}:${name}:${score},`);
      expectedSum += Number(score);
    }
    const { rows: [result] } = await client.query<{ count: string; sum: string; digest: string }>(
      `SELECT count(*) AS count, sum(score) AS sum,
              md5(string_agg(id || ':' || name || ':' || score, ',' ORDER BY id) || ',') AS digest
         FROM ${table}`,
    );
    expect(Number(result?.count)).toBe(ROWS);
    expect(Number(result?.sum)).toBe(expectedSum);
    expect(result?.digest).toBe(expected.digest('hex'));
  });

  it('should pass parameters as bind values', async () => {
    const hostile = "x'); DROP TABLE pg_class; --";
    const { rows: [row] } = await client.query<{ echoed: string }>('SELECT $1::text AS echoed', [hostile]);
    expect(row?.echoed).toBe(hostile);
  });
});
