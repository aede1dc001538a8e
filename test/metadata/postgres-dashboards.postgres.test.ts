import pg from 'pg';
import { afterAll } from 'vitest';
import { openPostgresDashboardStore } from '../../src/metadata/postgres/postgres-dashboards.ts';
import { endpoint, uniqueName } from '../support/services.ts';
import { describeDashboardContract } from './dashboard-contract.ts';

/** A schema per store opened (each test starts empty), all dropped at the end. */
const schemas: string[] = [];

afterAll(async () => {
  const client = new pg.Client({ connectionString: endpoint('TRIBUTARY_POSTGRES_URL') });
  await client.connect();
  for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await client.end();
});

describeDashboardContract('postgres', () => {
  const schema = uniqueName('dashboards');
  schemas.push(schema);
  return openPostgresDashboardStore({ url: endpoint('TRIBUTARY_POSTGRES_URL'), schema });
});
