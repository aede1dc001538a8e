/**
 * Placing a downloaded CKAN file in the lake's raw zone, with its metadata beside it, and making it
 * part of the dataset through the catalog.
 *
 * Keys: `raw/<dataset>/dt=<day>/<resource-slug>.csv` and the sidecar `<same>.meta.json`. When that
 * name already holds other bytes (the resource changed twice in one day), the file is named
 * `<resource-slug>-<sha256[0:12]>.csv` instead: objects are never modified in place.
 *
 * Order: CSV, then sidecar, then the catalog commit, whose run id is derived from the resource, the
 * content hash and the day. A crash anywhere before the commit leaves nothing visible (the catalog
 * does not list the file); repeating the whole sequence afterwards finds the same key and commits the
 * same run id once.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { commitFiles } from '../../lake/catalog.ts';
import { partitionPrefix } from '../../lake/keys.ts';
import type { Lake } from '../../lake/lake.ts';
import type { CkanPackage, CkanResource } from './ckan-api.ts';
import type { CsvDigestResult } from './csv-digest.ts';
import type { Validators } from './download.ts';

export interface Sidecar {
  format: 1;
  source: string;
  package: { id: string; name: string; title?: string | null | undefined; metadata_modified?: string | null | undefined; [field: string]: unknown };
  resource: { id: string; name?: string | null | undefined; url: string; format?: string | null | undefined; hash?: string | null | undefined; size?: number | null | undefined; last_modified?: string | null | undefined };
  download: Validators & { url: string; fetchedAt: string; bytes: number; sha256: string; md5?: string; rows: number; columns: string[] };
}

export interface PlacedFile {
  key: string;
  /** False when the same bytes were already committed under this key (a repeat after a crash). */
  written: boolean;
}

/** Lower-case letters, digits and `-`: a file name that needs no encoding anywhere. */
export function resourceSlug(resource: CkanResource): string {
  const base = (resource.name ?? '').trim() || resource.id;
  const slug = base
    .toLowerCase()
    .replace(/\.csv$/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120);
  return slug || resource.id.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

export const sidecarKey = (key: string) => `${key}.meta.json`;

async function sidecarSha(lake: Lake, key: string): Promise<string | undefined> {
  if (!(await lake.head(sidecarKey(key)))) return undefined;
  const sidecar = JSON.parse((await lake.getBytes(sidecarKey(key))).toString('utf8')) as Partial<Sidecar>;
  return sidecar.download?.sha256 ?? '';
}

/** The key for these bytes today, and whether it already holds them. */
async function chooseKey(lake: Lake, prefix: string, slug: string, sha256: string): Promise<{ key: string; present: boolean }> {
  for (const key of [`${prefix}${slug}.csv`, `${prefix}${slug}-${sha256.slice(0, 12)}.csv`]) {
    const existing = await sidecarSha(lake, key);
    // A CSV without a sidecar was never committed (the sidecar goes first): the name is free.
    if (existing === undefined) return { key, present: false };
    if (existing === sha256) return { key, present: true };
  }
  // Same slug, same hash prefix, other bytes: astronomically unlikely; the full hash settles it.
  return { key: `${prefix}${slug}-${sha256}.csv`, present: false };
}

export interface PlaceRequest {
  lake: Lake;
  sourceName: string;
  dataset: string;
  day: string;
  pkg: CkanPackage;
  resource: CkanResource;
  file: string;
  digest: CsvDigestResult;
  validators: Validators;
  fetchedAt: Date;
}

export async function placeInLake(request: PlaceRequest): Promise<PlacedFile> {
  const { lake, pkg, resource, digest } = request;
  const prefix = partitionPrefix('raw', request.dataset, { dt: request.day });
  const { key, present } = await chooseKey(lake, prefix, resourceSlug(resource), digest.sha256);
  if (!present) {
    await lake.put(key, createReadStream(request.file), { contentType: 'text/csv', metadata: { sha256: digest.sha256, 'ckan-resource-id': resource.id } });
    const { resources: _resources, ...packageFields } = pkg;
    const sidecar: Sidecar = {
      format: 1,
      source: request.sourceName,
      package: packageFields,
      resource: {
        id: resource.id,
        name: resource.name,
        url: resource.url,
        format: resource.format,
        hash: resource.hash,
        size: resource.size,
        last_modified: resource.last_modified,
      },
      download: {
        url: resource.url,
        fetchedAt: request.fetchedAt.toISOString(),
        ...request.validators,
        bytes: digest.bytes,
        sha256: digest.sha256,
        ...(digest.md5 ? { md5: digest.md5 } : {}),
        rows: digest.rows,
        columns: digest.columns,
      },
    };
    await lake.put(sidecarKey(key), Buffer.from(`${JSON.stringify(sidecar, null, 1)}\n`), { contentType: 'application/json' });
  }
  const runId = `ckan-${request.day}-${resource.id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100)}-${digest.sha256.slice(0, 16)}`;
  // Raw CSVs of one package have different layouts (Toronto changed its columns in 2023), so the
  // dataset declares no schema; each sidecar lists its file's columns.
  await commitFiles(lake, 'raw', request.dataset, { runId, job: `ckan:${pkg.name}`, schema: [], files: [{ key, rows: digest.rows, bytes: digest.bytes }], mode: 'append' });
  return { key, written: !present };
}

/**
 * The package's resource list as this poll saw it, `raw/<dataset>/dt=<day>/_package-<sha256[0:12]>.json`,
 * written when that list is new for the day. It is how a batch job learns that a resource left the
 * package: the newest listing's resources are the current ones (src/batch/current.ts).
 */
export async function placePackageListing(request: { lake: Lake; dataset: string; pkg: CkanPackage; resources: readonly CkanResource[]; fetchedAt: Date }): Promise<string> {
  const resources = request.resources.map((r) => ({ id: r.id, name: r.name ?? null })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const digest = createHash('sha256').update(JSON.stringify(resources)).digest('hex');
  const day = request.fetchedAt.toISOString().slice(0, 10);
  const key = `${partitionPrefix('raw', request.dataset, { dt: day })}_package-${digest.slice(0, 12)}.json`;
  if (!(await request.lake.head(key))) {
    const body = { format: 1, package: request.pkg.name, fetchedAt: request.fetchedAt.toISOString(), resources };
    await request.lake.put(key, Buffer.from(`${JSON.stringify(body, null, 1)}\n`), { contentType: 'application/json' });
  }
  return key;
}
