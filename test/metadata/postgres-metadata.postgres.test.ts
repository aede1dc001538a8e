import pg from 'pg';
import { afterAll } from 'vitest';
import { openPostgresMetadataStore } from '../../src/metadata/postgres/postgres-metadata.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { describeMetadataContract } from './metadata-contract.ts';

/** A schema of its own, dropped at the end. */
const schema = uniqueName('metadata');

afterAll(async () => {
  const client = new pg.Client({ connectionString: endpoint('TRIBUTARY_POSTGRES_URL') });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

describeMetadataContract('postgres', () => openPostgresMetadataStore({ url: endpoint('TRIBUTARY_POSTGRES_URL'), schema }));
