/**
 * Leadership by a PostgreSQL session advisory lock held on one dedicated connection. The lock goes
 * when the session does: a leader that dies (even by SIGKILL) frees it as soon as the server sees the
 * connection close, and the next `holds()` of another process takes it.
 */
import type { Client } from 'pg';
import type { Leadership } from '../scheduler.ts';

export function advisoryLeadership(options: { connectionString: string; key: string }): Leadership {
  let client: Client | undefined;
  let lost = false;

  const drop = async () => {
    const c = client;
    client = undefined;
    await c?.end().catch(() => undefined);
  };

  return {
    async holds() {
      if (client && !lost) return true;
      if (lost) {
        lost = false;
        await drop();
      }
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: options.connectionString, connectionTimeoutMillis: 5000 });
      c.on('error', () => (lost = true));
      try {
        await c.connect();
        const result = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [`tributary:scheduler:${options.key}`]);
        if (result.rows[0]?.ok) {
          client = c;
          return true;
        }
      } catch {
        // Unreachable server: not leading; the next tick tries again.
      }
      await c.end().catch(() => undefined);
      return false;
    },
    async release() {
      await drop();
    },
  };
}
