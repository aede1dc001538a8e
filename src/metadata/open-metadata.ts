/** Open the metadata store the config names; each backend (and the pg driver) is loaded only when chosen. */
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { TributaryError } from '../errors.ts';
import type { MetadataStore } from './metadata.ts';

export async function openMetadataStore(config: Readonly<Config>, options: { cwd?: string } = {}): Promise<MetadataStore> {
  if (config.metadata.backend === 'postgres') {
    const { url, password, schema } = config.postgres;
    if (url === undefined) throw new TributaryError('CONFIG_INVALID', 'postgres.url is required when metadata.backend is "postgres"');
    const { openPostgresMetadataStore } = await import('./postgres/postgres-metadata.ts');
    return openPostgresMetadataStore({ url, schema, ...(password === undefined ? {} : { password }) });
  }
  const dataDir = path.resolve(options.cwd ?? process.cwd(), config.dataDir);
  const { openEmbeddedMetadataStore } = await import('./embedded/embedded-metadata.ts');
  return openEmbeddedMetadataStore({ file: path.join(dataDir, 'metadata.sqlite') });
}
