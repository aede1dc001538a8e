/**
 * The source kinds the CLI can run (`tributary source run <kind>`): an explicit object, passed to the
 * command, nothing registered by import. Importing it loads only the components and their zod
 * schemas; database drivers and the HTML parser are imported inside `poll`, when first used.
 */
import type { z } from 'zod';
import { TributaryError } from '../errors.ts';
import { ckanSource } from './ckan/ckan-source.ts';
import { dbExtractSource } from './db-extract/db-extract.ts';
import { ecommerceEmulator } from './emulators/ecommerce.ts';
import { generatorSource } from './generator/generator.ts';
import { httpPollSource } from './http-poll/http-poll.ts';
import { scraperSource } from './scraper/scraper.ts';
import type { SourceComponent } from './source.ts';

export interface SourceKind {
  readonly component: SourceComponent<z.ZodType>;
  /** One line for `tributary source list`. */
  readonly description: string;
  /** Where it writes: a source writing files to the lake gets the configured lake in its context. */
  readonly writesTo: 'log' | 'lake';
  /**
   * Where in its config the database password goes. Config files hold no secrets: the CLI refuses a
   * `password` in the file and takes it from TRIBUTARY_SOURCE_PASSWORD instead.
   */
  readonly passwordPath?: readonly string[];
}

export type SourceRegistry = Readonly<Record<string, SourceKind>>;

export function builtInSources(): SourceRegistry {
  const kinds: SourceKind[] = [
    { component: httpPollSource, writesTo: 'log', description: 'poll a JSON API on an interval, one record per item (paging, retries, rate limit)' },
    { component: scraperSource, writesTo: 'log', description: 'crawl Kijiji-shaped listing pages, emit new and re-priced ads (robots.txt, fingerprints)' },
    { component: ckanSource, writesTo: 'lake', description: "download a CKAN package's files into the lake's raw zone (resumable, checksummed)" },
    { component: dbExtractSource, writesTo: 'log', passwordPath: ['password'], description: 'incremental extract of a MariaDB/MySQL or PostgreSQL table by a cursor column' },
    { component: generatorSource, writesTo: 'log', description: 'synthetic records from a function, for examples, demos and tests' },
    { component: ecommerceEmulator, writesTo: 'log', passwordPath: ['orders', 'password'], description: 'generate e-commerce click events (and orders in MariaDB) at a set rate' },
  ];
  return Object.fromEntries(kinds.map((kind) => [kind.component.name, kind]));
}

export function findSourceKind(registry: SourceRegistry, name: string): SourceKind {
  const kind = registry[name];
  if (!kind) throw new TributaryError('CLI_USAGE', `no source kind "${name}"; known kinds: ${Object.keys(registry).sort().join(', ') || '(none)'}`);
  return kind;
}
