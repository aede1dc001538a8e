/** The Toronto apartment files behind a local CKAN, and a CKAN source over it with its own state. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
import type { Lake } from '../../../src/lake/lake.ts';
import { openEmbeddedLog } from '../../../src/log/embedded/embedded-log.ts';
import { ckanConfigSchema, ckanSource, type CkanConfig } from '../../../src/sources/ckan/ckan-source.ts';
import { startCkanEmulator, type CkanEmulator, type EmulatedResource } from '../../../src/sources/emulators/ckan-server.ts';
import type { Source } from '../../../src/sources/source.ts';
import { openEmbeddedStateStore } from '../../../src/state/embedded/embedded-state.ts';
import type { StateStore } from '../../../src/state/state.ts';
import { tempDir } from '../../support/cli.ts';

const DATA = fileURLToPath(new URL('../../../../shared/data/toronto-abe/', import.meta.url));
export const CURRENT = path.join(DATA, 'apartment-building-evaluations-2023-current.csv');
export const PRE_2023 = path.join(DATA, 'pre-2023-apartment-building-evaluations.csv');
export const LEGACY = path.join(DATA, 'apartment-building-evaluation.legacy-2023-snapshot.csv');
export const SNAPSHOT_CRLF = path.join(DATA, 'apartment-building-evaluations-2023-current.2025-04-snapshot.crlf.csv');

export const CURRENT_ID = '7fa98ab2-7412-43cd-9270-cb44dd75b573';
export const PRE_2023_ID = 'f7b8e1d4-5b3c-4a8e-9f21-6d0c3b2a1e90';

/** Toronto's two CSV resources, and an XLSX readme that must never be fetched. */
export function torontoResources(overrides: Partial<Record<string, Partial<EmulatedResource>>> = {}): EmulatedResource[] {
  return [
    { id: CURRENT_ID, name: 'Apartment Building Evaluations 2023 - current', file: CURRENT, ...overrides[CURRENT_ID] },
    { id: PRE_2023_ID, name: 'Apartment Building Evaluations 2017 - 2023', file: PRE_2023, ...overrides[PRE_2023_ID] },
    { id: '0a1b2c3d-0000-4000-8000-000000000001', name: 'Apartment Building Evaluations Readme', file: CURRENT, format: 'XLSX', missing: true },
  ];
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

export function sha256Bytes(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function emulator(options: { resources?: EmulatedResource[]; etag?: boolean; ranges?: boolean } = {}): Promise<CkanEmulator> {
  const ckan = await startCkanEmulator({ packageName: 'apartment-building-evaluation', resources: options.resources ?? torontoResources(), ...options });
  onTestFinished(() => ckan.close());
  return ckan;
}

export interface Harness {
  state: StateStore;
  stagingDir: string;
  /** A new source instance over the same state and staging directory (a restart). */
  source(overrides?: Partial<CkanConfig>): Source;
}

export async function harness(ckan: CkanEmulator, lake: Lake, dataset: string, overrides: Partial<CkanConfig> = {}): Promise<Harness> {
  const dir = await tempDir('tributary-ckan-');
  const state = await openEmbeddedStateStore({ file: path.join(dir, 'state.sqlite') });
  onTestFinished(() => state.close());
  // The CKAN source writes only to the lake; its context still carries a log, as every source's does.
  const log = await openEmbeddedLog({ dir: path.join(dir, 'log') });
  onTestFinished(() => log.close());
  const stagingDir = path.join(dir, 'staging');
  const logger = pino({ level: 'silent' });
  const sources: Source[] = [];
  onTestFinished(async () => {
    for (const source of sources) await source.close();
  });
  return {
    state,
    stagingDir,
    source(more = {}) {
      const config = ckanConfigSchema.parse({
        baseUrl: ckan.baseUrl,
        package: 'apartment-building-evaluation',
        dataset,
        stagingDir,
        retryBaseMs: 5,
        retryMaxMs: 50,
        timeoutMs: 5000,
        ...overrides,
        ...more,
      });
      const source = ckanSource.create(config, { log, lake, state, logger });
      sources.push(source);
      return source;
    },
  };
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}
