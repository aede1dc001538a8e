/** Open the saved dashboards where the config keeps its metadata: the embedded file under the data directory, or PostgreSQL. */
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { TributaryError } from '../errors.ts';
import type { DashboardStore } from './dashboard-store.ts';

export async function openDashboardStore(config: Readonly<Config>, options: { cwd?: string } = {}): Promise<DashboardStore> {
  if (config.metadata.backend === 'postgres') {
    const { url, password, schema } = config.postgres;
    if (url === undefined) throw new TributaryError('CONFIG_INVALID', 'postgres.url is required when metadata.backend is "postgres"');
    const { openPostgresDashboardStore } = await import('./postgres/postgres-dashboards.ts');
    return openPostgresDashboardStore({ url, schema, ...(password === undefined ? {} : { password }) });
  }
  const { openEmbeddedDashboardStore } = await import('./embedded/embedded-dashboards.ts');
  return openEmbeddedDashboardStore({ file: path.join(path.resolve(options.cwd ?? process.cwd(), config.dataDir), 'metadata.sqlite') });
}
