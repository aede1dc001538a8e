/** The lake's tables at scale: the catalog in PostgreSQL, the data on MinIO through httpfs. */
import pg from 'pg';
import { afterAll } from 'vitest';
import { testBucket } from '../support/s3.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { describeTablesContract } from './tables-contract.ts';

const bucket = await testBucket('tables');
const schemas: string[] = [];

afterAll(async () => {
  const client = new pg.Client({ connectionString: endpoint('TRIBUTARY_POSTGRES_URL') });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

describeTablesContract('PostgreSQL catalog, MinIO data', async () => {
  // The bucket must exist before DuckDB writes to it: the lake creates it on first use.
  const lake = await bucket.open();
  await lake.put('created', Buffer.from(''));
  await lake.close();
  const schema = uniqueName('lake');
  schemas.push(schema);
  const { connection } = bucket;
  return {
    catalog: { kind: 'postgres', url: endpoint('TRIBUTARY_POSTGRES_URL'), schema },
    data: { kind: 's3', bucket: bucket.bucket, prefix: `${uniqueName('t')}/`, endpoint: connection.endpoint, region: connection.region, forcePathStyle: true, accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
  };
});
