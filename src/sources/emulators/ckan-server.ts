/**
 * A local CKAN for tests and demos: `node:http` on 127.0.0.1 (port 0 by default) answering
 * `package_show` in CKAN's response shape and serving the package's files as downloads, with what a
 * real file server does (strong ETags, Last-Modified, conditional GETs, single byte ranges, If-Range)
 * and faults on demand (a status such as 500 or 429 with Retry-After, a connection cut mid-body).
 *
 * Switches make it behave like weaker servers: `etag: false`, `ranges: false`.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

export interface EmulatedResource {
  id: string;
  name: string;
  /** The file served; its bytes may change with `replace`. */
  file: string;
  format?: string;
  /** What package_show publishes as `hash`: the real digest, a wrong one, or nothing (CKAN's usual ""). */
  hash?: 'sha256' | 'md5' | 'none' | 'wrong';
  /** Listed in package_show but answering 404 (a broken link). */
  missing?: boolean;
}

export interface CkanEmulatorOptions {
  packageName: string;
  title?: string;
  resources: EmulatedResource[];
  etag?: boolean;
  ranges?: boolean;
  host?: string;
  port?: number;
}

export type Fault = { kind: 'status'; status: number; retryAfterSeconds?: number } | { kind: 'cut'; afterBytes: number };

export interface FaultRule {
  on: 'package' | 'download';
  resourceId?: string;
  fault: Fault;
  /** How many matching requests get the fault. */
  times: number;
}

export interface RequestRecord {
  path: string;
  status: number;
  resourceId?: string;
  range?: string;
  ifRange?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  bytesSent: number;
}

export interface CkanEmulator {
  readonly baseUrl: string;
  readonly requests: RequestRecord[];
  inject(rule: FaultRule): void;
  /** Serve other bytes for a resource from now on (a new ETag and Last-Modified). */
  replace(resourceId: string, file: string): Promise<void>;
  /** Take a resource out of the package (package_show no longer lists it). */
  remove(resourceId: string): void;
  close(): Promise<void>;
}

interface Served {
  resource: EmulatedResource;
  size: number;
  sha256: string;
  md5: string;
  etag: string;
  lastModified: Date;
}

const PACKAGE_ID = '4ef82789-e038-44ef-a478-a8f3590c3eb1';

async function describeFile(resource: EmulatedResource, lastModified: Date): Promise<Served> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(resource.file)) {
    sha256.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  const size = (await stat(resource.file)).size;
  const sha = sha256.digest('hex');
  return { resource, size, sha256: sha, md5: md5.digest('hex'), etag: `"${sha.slice(0, 32)}"`, lastModified };
}

/** HTTP dates have whole seconds; a replacement always moves Last-Modified forward by at least one. */
function nextSecond(after: Date | undefined): Date {
  const now = Math.floor(Date.now() / 1000) * 1000;
  return new Date(after === undefined ? now - 86_400_000 : Math.max(now, after.getTime() + 1000));
}

export async function startCkanEmulator(options: CkanEmulatorOptions): Promise<CkanEmulator> {
  const served = new Map<string, Served>();
  for (const resource of options.resources) served.set(resource.id, await describeFile(resource, nextSecond(undefined)));
  const useEtag = options.etag ?? true;
  const useRanges = options.ranges ?? true;
  const faults: FaultRule[] = [];
  const requests: RequestRecord[] = [];
  let baseUrl = '';

  const downloadPath = (s: Served) => `/dataset/${PACKAGE_ID}/resource/${s.resource.id}/download/${path.basename(s.resource.file)}`;

  function takeFault(on: FaultRule['on'], resourceId?: string): Fault | undefined {
    const rule = faults.find((f) => f.on === on && f.times > 0 && (f.resourceId === undefined || f.resourceId === resourceId));
    if (!rule) return undefined;
    rule.times -= 1;
    return rule.fault;
  }

  function publishedHash(s: Served): string {
    switch (s.resource.hash ?? 'none') {
      case 'sha256':
        return s.sha256;
      case 'md5':
        return s.md5;
      case 'wrong':
        return '0'.repeat(64);
      default:
        return '';
    }
  }

  function packageBody(): unknown {
    const list = [...served.values()];
    const modified = new Date(Math.max(...list.map((s) => s.lastModified.getTime()))).toISOString().replace('Z', '');
    return {
      help: `${baseUrl}/api/3/action/help_show?name=package_show`,
      success: true,
      result: {
        author: null,
        author_email: null,
        civic_issues: 'Affordable housing',
        collection_method: 'Evaluations by Municipal Licensing & Standards bylaw enforcement officers under the RentSafeTO program.',
        dataset_category: 'Table',
        formats: [...new Set(list.map((s) => s.resource.format ?? 'CSV'))].join(','),
        id: PACKAGE_ID,
        is_retired: false,
        isopen: false,
        license_id: 'open-government-licence-toronto',
        license_title: 'Open Government Licence – Toronto',
        license_url: 'https://open.toronto.ca/open-data-license/',
        maintainer: null,
        metadata_created: '2019-07-23T17:06:13.012345',
        metadata_modified: modified,
        name: options.packageName,
        notes: 'Apartment buildings registered with RentSafeTO, and the scores of their evaluations.',
        num_resources: list.length,
        num_tags: 2,
        organization: { id: 'city-of-toronto', name: 'city-of-toronto', title: 'City of Toronto', type: 'organization', state: 'active', is_organization: true },
        owner_division: 'Municipal Licensing & Standards',
        private: false,
        refresh_rate: 'Daily',
        state: 'active',
        title: options.title ?? 'Apartment Building Evaluations',
        type: 'dataset',
        url: null,
        version: null,
        resources: list.map((s, position) => ({
          cache_last_updated: null,
          cache_url: null,
          created: '2023-03-09T14:40:52.123456',
          datastore_active: false,
          description: '',
          format: s.resource.format ?? 'CSV',
          hash: publishedHash(s),
          id: s.resource.id,
          is_datastore_cache_file: true,
          last_modified: s.lastModified.toISOString().replace('Z', ''),
          metadata_modified: s.lastModified.toISOString().replace('Z', ''),
          mimetype: (s.resource.format ?? 'CSV').toUpperCase() === 'CSV' ? 'text/csv' : null,
          name: s.resource.name,
          package_id: PACKAGE_ID,
          position,
          resource_type: null,
          size: s.size,
          state: 'active',
          url: `${baseUrl}${downloadPath(s)}`,
          url_type: 'upload',
        })),
        tags: [
          { display_name: 'apartment', id: 'b4c6f3d2-0d5e-4a8a-9c1e-2f0f4c1f7a11', name: 'apartment', state: 'active', vocabulary_id: null },
          { display_name: 'rentsafeto', id: 'c7e1a9b0-5b2d-4f6e-8d3a-1e9b2c4d5f62', name: 'rentsafeto', state: 'active', vocabulary_id: null },
        ],
        groups: [],
        relationships_as_object: [],
        relationships_as_subject: [],
      },
    };
  }

  function json(res: ServerResponse, status: number, body: unknown): void {
    const bytes = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'content-length': bytes.length });
    res.end(bytes);
  }

  function sendFault(res: ServerResponse, record: RequestRecord, fault: Extract<Fault, { kind: 'status' }>): void {
    record.status = fault.status;
    const headers: Record<string, string> = { 'content-type': 'text/html' };
    if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
    res.writeHead(fault.status, headers);
    res.end(`<html><body><h1>${fault.status}</h1></body></html>`);
  }

  async function handleDownload(req: IncomingMessage, res: ServerResponse, s: Served, record: RequestRecord): Promise<void> {
    const fault = takeFault('download', s.resource.id);
    if (fault?.kind === 'status') return sendFault(res, record, fault);
    const lastModified = s.lastModified.toUTCString();
    const validators: Record<string, string> = { 'last-modified': lastModified, ...(useEtag ? { etag: s.etag } : {}) };

    const ifNoneMatch = req.headers['if-none-match'];
    const ifModifiedSince = req.headers['if-modified-since'];
    const notModified = ifNoneMatch !== undefined ? useEtag && ifNoneMatch.split(',').some((tag) => tag.trim() === s.etag) : ifModifiedSince !== undefined && Date.parse(ifModifiedSince) >= s.lastModified.getTime();
    if (notModified) {
      record.status = 304;
      res.writeHead(304, validators);
      return void res.end();
    }

    let start = 0;
    let end = s.size - 1;
    let status = 200;
    const range = useRanges ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '') : null;
    const ifRange = req.headers['if-range'];
    const rangeStillValid = ifRange === undefined || (useEtag && ifRange === s.etag) || ifRange === lastModified;
    if (range && rangeStillValid) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), s.size - 1) : s.size - 1;
      if (start >= s.size || start > end) {
        record.status = 416;
        res.writeHead(416, { 'content-range': `bytes */${s.size}` });
        return void res.end();
      }
      status = 206;
    }
    const headers: Record<string, string | number> = { ...validators, 'content-type': 'text/csv', 'content-length': end - start + 1, ...(useRanges ? { 'accept-ranges': 'bytes' } : {}) };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${s.size}`;
    record.status = status;
    res.writeHead(status, headers);

    if (fault?.kind === 'cut') {
      const length = Math.min(fault.afterBytes, end - start + 1);
      const handle = await open(s.resource.file, 'r');
      const part = Buffer.alloc(length);
      try {
        await handle.read(part, 0, length, start);
      } finally {
        await handle.close();
      }
      record.bytesSent = length;
      // End the connection (FIN, not a reset) once the bytes have left: the client gets exactly this
      // prefix and then a premature end of body. A reset could drop bytes still in its buffers.
      res.write(part, () => res.socket?.end());
      return;
    }
    record.bytesSent = end - start + 1;
    await pipeline(createReadStream(s.resource.file, { start, end }), res);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const record: RequestRecord = { path: url.pathname, status: 0, bytesSent: 0 };
    const header = (name: string) => req.headers[name] as string | undefined;
    for (const [field, name] of [['range', 'range'], ['ifRange', 'if-range'], ['ifNoneMatch', 'if-none-match'], ['ifModifiedSince', 'if-modified-since']] as const) {
      const value = header(name);
      if (value !== undefined) record[field] = value;
    }
    requests.push(record);
    const handle = async () => {
      if (url.pathname === '/api/3/action/package_show') {
        const fault = takeFault('package');
        if (fault?.kind === 'status') return sendFault(res, record, fault);
        if (url.searchParams.get('id') !== options.packageName && url.searchParams.get('id') !== PACKAGE_ID) {
          record.status = 404;
          return json(res, 404, { help: `${baseUrl}/api/3/action/help_show?name=package_show`, success: false, error: { message: 'Not found', __type: 'Not Found Error' } });
        }
        record.status = 200;
        return json(res, 200, packageBody());
      }
      const s = [...served.values()].find((candidate) => downloadPath(candidate) === url.pathname);
      if (s && !s.resource.missing) {
        record.resourceId = s.resource.id;
        return await handleDownload(req, res, s, record);
      }
      record.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found');
    };
    handle().catch(() => res.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://${address.address}:${address.port}`;

  return {
    baseUrl,
    requests,
    inject: (rule) => void faults.push({ ...rule }),
    async replace(resourceId, file) {
      const current = served.get(resourceId);
      if (!current) throw new Error(`the emulator has no resource ${resourceId}`);
      served.set(resourceId, await describeFile({ ...current.resource, file }, nextSecond(current.lastModified)));
    },
    remove(resourceId) {
      if (!served.delete(resourceId)) throw new Error(`the emulator has no resource ${resourceId}`);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
