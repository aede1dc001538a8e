/**
 * The one CKAN action the source calls: `GET <base>/api/3/action/package_show?id=<package>`.
 *
 * CKAN answers `{ help, success, result }` on success and `{ help, success: false, error: { message,
 * __type } }` (with a 4xx) on failure. Only the fields the source uses are checked; the rest of the
 * package (title, organization, tags, ...) is kept as it came for the sidecar metadata.
 */
import { z } from 'zod';
import { TributaryError } from '../../errors.ts';
import type { HttpClient } from '../http/http-client.ts';

const resourceSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  url: z.string().min(1),
  format: z.string().nullish(),
  /** Often "", sometimes an MD5 or SHA-256 hex digest, sometimes prefixed `sha256:`. */
  hash: z.string().nullish(),
  size: z.number().int().nonnegative().nullish(),
  last_modified: z.string().nullish(),
  metadata_modified: z.string().nullish(),
  mimetype: z.string().nullish(),
});

const packageSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().min(1),
  title: z.string().nullish(),
  metadata_modified: z.string().nullish(),
  resources: z.array(resourceSchema),
});

// Discriminated on `success`, so a problem is reported at the field inside the matching shape
// (`result.id`) rather than as the whole body not fitting either.
const responseSchema = z.discriminatedUnion('success', [
  z.looseObject({ success: z.literal(true), result: packageSchema }),
  z.looseObject({ success: z.literal(false), error: z.looseObject({ message: z.string().optional(), __type: z.string().optional() }) }),
]);

export type CkanResource = z.output<typeof resourceSchema>;
export type CkanPackage = z.output<typeof packageSchema>;

export function packageShowUrl(baseUrl: string, packageName: string): string {
  const url = new URL('api/3/action/package_show', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('id', packageName);
  return url.toString();
}

/** CKAN's errors are JSON with a 4xx; those are read, the rest (5xx, 408, 429) retried by the client. */
const ckanErrorStatus = (status: number) => status >= 400 && status < 500 && status !== 408 && status !== 429;

export async function packageShow(client: HttpClient, baseUrl: string, packageName: string, signal: AbortSignal): Promise<CkanPackage> {
  const url = packageShowUrl(baseUrl, packageName);
  const response = await client.get(url, { signal, accept: 'application/json', acceptStatus: ckanErrorStatus });
  const text = response.body;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new TributaryError('SOURCE_INVALID_RESPONSE', `${url} answered ${response.status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 120))}`, { cause: error });
  }
  const parsed = responseSchema.safeParse(body);
  if (!parsed.success) {
    throw new TributaryError('SOURCE_INVALID_RESPONSE', `${url} answered ${response.status} with JSON that is not a CKAN package_show response: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`, { cause: parsed.error });
  }
  const data = parsed.data;
  if (!data.success) {
    const kind = data.error.__type ?? 'error';
    const message = `CKAN package "${packageName}" at ${url}: ${kind}: ${data.error.message ?? '(no message)'}`;
    throw new TributaryError(response.status === 404 || /not found/i.test(kind) ? 'SOURCE_NOT_FOUND' : 'SOURCE_INVALID_RESPONSE', message);
  }
  return data.result;
}

/** The resource's published digest, when CKAN has one we can check: `{ algorithm, hex }`. */
export function publishedDigest(resource: CkanResource): { algorithm: 'sha256' | 'md5'; hex: string } | undefined {
  const hash = (resource.hash ?? '').trim().toLowerCase().replace(/^(sha256|md5):/, '');
  if (/^[0-9a-f]{64}$/.test(hash)) return { algorithm: 'sha256', hex: hash };
  if (/^[0-9a-f]{32}$/.test(hash)) return { algorithm: 'md5', hex: hash };
  return undefined;
}
