/** Shared by the orchestrator's PostgreSQL tests: a fresh schema per test for the run tables and the queue, dropped after. */
import pg from 'pg';
import { endpoint, uniqueName } from '../support/services.ts';

export function freshSchema(prefix: string): { url: string; schema: string; queueSchema: string; drop(): Promise<void> } {
  const url = endpoint('TRIBUTARY_POSTGRES_URL');
  const schema = uniqueName(prefix);
  const queueSchema = `${schema}_q`;
  return {
    url,
    schema,
    queueSchema,
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.query(`DROP SCHEMA IF EXISTS "${queueSchema}" CASCADE`);
      await client.end();
    },
  };
}
