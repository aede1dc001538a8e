/**
 * The CKAN download source: one poll reads a package with `package_show`, and brings each of its
 * resources in the chosen formats (CSV by default) into the lake's raw zone, unless it is unchanged.
 *
 * Per resource, in order:
 * 1. Skip without a request when CKAN publishes a digest equal to the last download's.
 * 2. GET with If-None-Match / If-Modified-Since from the last download: 304 is a skip, and so is a
 *    200 without an ETag carrying the same Last-Modified and Content-Length as last time.
 * 3. Stream the body into a staging file (download.ts: resumable with Range, retried with backoff),
 *    hashing it on the way; check the hash against CKAN's `hash` when it publishes one.
 * 4. Same SHA-256 as last time (new validators, same bytes): a skip.
 * 5. Otherwise put it in the lake with a sidecar and commit it to the dataset (lake-file.ts), then
 *    record the resource's progress in the state store, then delete the staging file.
 *
 * Delivery: a crash between 5's commit and its progress write repeats the download on the next
 * poll; the same bytes land on the same key and the same run id, which the catalog applies once.
 * Progress (namespace `source.<name>`, key `resource:<id>`) is JSON: validators, size, SHA-256, key.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { TributaryError, isTributaryError } from '../../errors.ts';
import { createHttpClient } from '../http/http-client.ts';
import { progressNamespace, type PollResult, type Source, type SourceComponent, type SourceContext } from '../source.ts';
import { packageShow, publishedDigest, type CkanPackage, type CkanResource } from './ckan-api.ts';
import { discardStaged, download } from './download.ts';
import { placeInLake, placePackageListing } from './lake-file.ts';

export const ckanConfigSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/).optional().describe('Source name: its progress is kept under source.<name> in the state store; default: ckan-<package>.'),
  baseUrl: z.url({ protocol: /^https?$/ }).describe('The CKAN site, e.g. https://ckan0.cf.opendata.inter.prod-toronto.ca; the API is under <baseUrl>/api/3/action/.'),
  package: z.string().min(1).describe('The package (dataset) name or id, e.g. apartment-building-evaluation.'),
  dataset: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,127}$/, 'expected a lake dataset name: lower-case letters, digits, "_" and "-"')
    .optional()
    .describe('Lake dataset the files go to (raw/<dataset>/dt=YYYY-MM-DD/); default: the package name.'),
  formats: z.array(z.string().min(1)).min(1).default(['CSV']).describe('Resource formats to download (case-insensitive).'),
  resources: z.array(z.string().min(1)).optional().describe('Only these resources, by name or id; default: every resource in the formats.'),
  stagingDir: z.string().min(1).default(path.join(os.tmpdir(), 'tributary-ckan')).describe('Directory for partial downloads; keep it across restarts to resume them.'),
  verifyHash: z.boolean().default(true).describe("Check a download against the resource's published SHA-256 or MD5 `hash`, when there is one."),
  maxAttempts: z.number().int().min(1).max(100).default(6).describe('Attempts per request (network errors, 5xx, 408, 429, cut bodies), the first included.'),
  retryBaseMs: z.number().int().min(0).default(500).describe('First retry backoff; doubles per attempt, with jitter.'),
  retryMaxMs: z.number().int().min(0).default(30_000).describe('Longest backoff step, and longest Retry-After waited for: a longer one fails the poll (retryable).'),
  timeoutMs: z.number().int().min(1).default(30_000).describe('Time to wait for response headers (package_show: for the whole response).'),
  userAgent: z.string().min(1).default('TributaryBot/0.1').describe('User-Agent header on every request.'),
});

export type CkanConfig = z.output<typeof ckanConfigSchema>;

interface ResourceProgress {
  etag?: string;
  lastModified?: string;
  size: number;
  sha256: string;
  md5?: string;
  key: string;
  at: string;
}

type Outcome = 'emitted' | 'skipped';

function wanted(config: CkanConfig, resource: CkanResource): boolean {
  const formats = config.formats.map((f) => f.toLowerCase());
  const format = (resource.format ?? '').toLowerCase();
  if (!formats.includes(format)) return false;
  return config.resources === undefined || config.resources.includes(resource.id) || (resource.name != null && config.resources.includes(resource.name));
}

export function createCkanSource(name: string, config: CkanConfig, ctx: SourceContext): Source {
  const namespace = progressNamespace(name);
  const dataset = config.dataset ?? config.package.toLowerCase().replace(/[^a-z0-9_-]+/g, '-');
  const log = ctx.logger.child({ source: name, package: config.package });
  const now = ctx.now ?? (() => new Date());
  const retry = { maxAttempts: config.maxAttempts, baseDelayMs: config.retryBaseMs, maxDelayMs: config.retryMaxMs, maxRetryAfterMs: config.retryMaxMs };
  // No rate limit: one request at a time, and a download is one long request.
  const client = createHttpClient({ userAgent: config.userAgent, timeoutMs: config.timeoutMs, retry }, { logger: log });

  async function readProgress(id: string): Promise<ResourceProgress | undefined> {
    const bytes = await ctx.state.get(namespace, `resource:${id}`);
    return bytes ? (JSON.parse(bytes.toString('utf8')) as ResourceProgress) : undefined;
  }

  async function writeProgress(id: string, progress: ResourceProgress): Promise<void> {
    await ctx.state.commit(namespace, new Map([[`resource:${id}`, Buffer.from(JSON.stringify(progress))]]));
  }

  async function bringIn(pkg: CkanPackage, resource: CkanResource, signal: AbortSignal): Promise<Outcome> {
    const lake = ctx.lake;
    if (!lake) throw new TributaryError('INTERNAL', `source ${name}: the CKAN source writes to the lake, but its context has none`);
    const previous = await readProgress(resource.id);
    const published = publishedDigest(resource);
    if (previous && published && (published.algorithm === 'sha256' ? previous.sha256 : previous.md5) === published.hex) {
      log.debug({ resource: resource.id }, 'unchanged: same published hash as the last download');
      return 'skipped';
    }
    const fetchedAt = now();
    const result = await download({
      url: resource.url,
      id: resource.id,
      stagingDir: config.stagingDir,
      ...(previous ? { previous: { size: previous.size, ...(previous.etag ? { etag: previous.etag } : {}), ...(previous.lastModified ? { lastModified: previous.lastModified } : {}) } } : {}),
      md5: published?.algorithm === 'md5',
      client,
      signal,
    });
    if (result.status === 'not-modified') {
      log.debug({ resource: resource.id }, `unchanged: ${result.reason}`);
      return 'skipped';
    }
    try {
      const actual = published?.algorithm === 'md5' ? result.md5 : result.sha256;
      if (config.verifyHash && published && actual !== published.hex) {
        throw new TributaryError(
          'SOURCE_CHECKSUM_MISMATCH',
          `${resource.url} (resource ${resource.id} of ${pkg.name}): ${published.algorithm} of the ${result.bytes} downloaded bytes is ${actual}, but CKAN publishes ${published.hex}`,
        );
      }
      const progress: ResourceProgress = { ...result.validators, size: result.bytes, sha256: result.sha256, ...(result.md5 ? { md5: result.md5 } : {}), key: previous?.key ?? '', at: fetchedAt.toISOString() };
      if (previous?.sha256 === result.sha256) {
        await writeProgress(resource.id, progress);
        log.debug({ resource: resource.id }, 'unchanged: same SHA-256 as the last download');
        return 'skipped';
      }
      const day = fetchedAt.toISOString().slice(0, 10);
      const placed = await placeInLake({ lake, sourceName: name, dataset, day, pkg, resource, file: result.file, digest: result, validators: result.validators, fetchedAt });
      await writeProgress(resource.id, { ...progress, key: placed.key });
      log.info({ resource: resource.id, key: placed.key, bytes: result.bytes, rows: result.rows, resumed: result.resumed }, `downloaded ${resource.name ?? resource.id}`);
      return 'emitted';
    } finally {
      await discardStaged(config.stagingDir, resource.id);
    }
  }

  return {
    name,
    async poll(signal): Promise<PollResult> {
      const pkg = await packageShow(client, config.baseUrl, config.package, signal);
      const resources = pkg.resources.filter((resource) => wanted(config, resource));
      if (ctx.lake) await placePackageListing({ lake: ctx.lake, dataset, pkg, resources, fetchedAt: now() });
      const result: PollResult = { emitted: 0, skipped: 0, rejected: 0, done: true };
      let firstError: Error | undefined;
      for (const resource of resources) {
        if (signal.aborted) break;
        try {
          result[await bringIn(pkg, resource, signal)] += 1;
        } catch (error) {
          // One failing resource does not hold back the others; the poll still fails, after them.
          if (signal.aborted) throw error;
          log.warn({ err: error, resource: resource.id }, `resource ${resource.name ?? resource.id} failed`);
          firstError ??= error instanceof Error ? error : new Error(String(error));
          if (isTributaryError(error) && !error.retryable) break;
        }
      }
      if (firstError !== undefined) throw firstError;
      return result;
    },
    async close() {
      // Nothing held between polls: every request finishes inside its poll.
    },
  };
}

export const ckanSource: SourceComponent<typeof ckanConfigSchema> = {
  name: 'ckan',
  configSchema: ckanConfigSchema,
  create: (config, ctx) => createCkanSource(config.name ?? `ckan-${config.package}`, config, ctx),
};
