/** Turning a parsed response body into records, by dot paths (`records`, `key`) or a mapping function. */
import { TributaryError } from '../../errors.ts';
import type { HttpPollConfig, MappedRecord } from './http-poll-config.ts';

/** `a.b.c` of a value; undefined when any step is missing. "" is the value itself. */
export function atPath(value: unknown, path: string): unknown {
  if (path === '') return value;
  let node = value;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

export interface MappedItem extends MappedRecord {
  /** Why the item cannot become a record (e.g. its key is missing); it goes to the dead letters. */
  problem?: string;
}

export function mapResponse(config: Pick<HttpPollConfig, 'records' | 'key' | 'map'>, body: unknown, url: string): MappedItem[] {
  if (config.map) {
    try {
      return config.map(body, { url });
    } catch (error) {
      throw new TributaryError('SOURCE_INVALID_RESPONSE', `the mapping of ${url} failed: ${(error as Error).message}`, { cause: error });
    }
  }
  const items = atPath(body, config.records);
  if (!Array.isArray(items)) {
    const where = config.records === '' ? 'the body' : `"${config.records}"`;
    throw new TributaryError('SOURCE_INVALID_RESPONSE', `response from ${url}: ${where} is not an array (got ${items === null ? 'null' : typeof items})`);
  }
  return items.map((value: unknown): MappedItem => {
    if (config.key === undefined) return { value };
    const key = atPath(value, config.key);
    if (typeof key === 'string' && key !== '') return { key, value };
    if (typeof key === 'number') return { key: String(key), value };
    return { value, problem: `key "${config.key}" is missing or not a string/number (got ${JSON.stringify(key) ?? 'nothing'})` };
  });
}
