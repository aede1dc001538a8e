import pg from 'pg';
import { endpoint } from '../../support/services.ts';
import { describeDbExtract } from './db-extract-contract.ts';

describeDbExtract(
  'postgres',
  () => endpoint('TRIBUTARY_POSTGRES_URL'),
  async () => {
    const client = new pg.Client({ connectionString: endpoint('TRIBUTARY_POSTGRES_URL') });
    await client.connect();
    return { execute: (sql, values) => client.query(sql, values), close: () => client.end() };
  },
);
