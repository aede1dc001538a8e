/**
 * Lake keys: what a valid key is, and the Hive-style layout of datasets in it.
 *
 * A key is a relative, `/`-separated path of plain segments. The same rules hold on every backend, so
 * a key that works on S3 works in a directory and the other way round:
 * - not empty, not starting or ending with `/`, no empty segment (`//`);
 * - no `.` or `..` segment, and no segment starting with `.`: the fs backend keeps its temporary
 *   files (`.tmp-*`) and the S3 cache its ETag notes beside the objects, and Spark and Hive skip
 *   dot-files, so such names must never be objects;
 * - no backslash (a separator on Windows and in some tools' globs) and no control character;
 * - at most 255 UTF-8 bytes per segment (a file name on common file systems) and 1024 per key (S3).
 *
 * Layout: `<zone>/<dataset>/dt=YYYY-MM-DD/[hr=HH/]part-<id>.parquet`. Partition values are used as
 * they are, not percent-encoded, so the helpers only build values that need no encoding.
 */
import { TributaryError } from '../errors.ts';
import { zones, type Zone } from './lake.ts';

const MAX_SEGMENT_BYTES = 255;
const MAX_KEY_BYTES = 1024;

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

function invalid(what: string, value: string, why: string): TributaryError {
  return new TributaryError('LAKE_INVALID_KEY', `Invalid lake ${what} ${JSON.stringify(value)}: ${why}`);
}

function checkSegments(what: string, value: string, segments: string[]): void {
  for (const segment of segments) {
    if (segment === '') throw invalid(what, value, 'empty segment (a leading, trailing or doubled "/")');
    if (segment === '.' || segment === '..') throw invalid(what, value, `"${segment}" segment`);
    if (segment.startsWith('.')) throw invalid(what, value, 'a segment starts with "." (reserved for temporary files)');
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) throw invalid(what, value, `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
}

function checkCharacters(what: string, value: string): void {
  if (value.startsWith('/')) throw invalid(what, value, 'absolute (starts with "/")');
  if (value.includes('\\')) throw invalid(what, value, 'contains a backslash');
  if (CONTROL.test(value)) throw invalid(what, value, 'contains a control character');
  if (Buffer.byteLength(value, 'utf8') > MAX_KEY_BYTES) throw invalid(what, value, `longer than ${MAX_KEY_BYTES} bytes`);
  // A lone surrogate cannot be encoded as UTF-8, so it would name a different object than asked.
  if (!value.isWellFormed()) throw invalid(what, value, 'not well-formed Unicode');
}

/** Throws LAKE_INVALID_KEY unless `key` is a valid object key; returns it otherwise. */
export function checkKey(key: string): string {
  if (typeof key !== 'string' || key === '') throw invalid('key', String(key), 'empty');
  checkCharacters('key', key);
  checkSegments('key', key, key.split('/'));
  return key;
}

/**
 * Throws LAKE_INVALID_KEY unless `prefix` is a valid list prefix: empty (the whole lake), or the
 * start of a valid key. A prefix may end inside a segment (`raw/ord`) or with `/`.
 */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  checkCharacters('prefix', prefix);
  const segments = prefix.split('/');
  const last = segments.pop() ?? '';
  checkSegments('prefix', prefix, segments);
  // The last, partial segment may be empty (a prefix ending in "/") but must not be a dot name.
  if (last.startsWith('.')) throw invalid('prefix', prefix, 'a segment starts with "."');
  return prefix;
}

/** The keys of a list prefix in the order lists return them: by UTF-8 bytes, as S3 does. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// ---- Hive layout ----

/** Partition columns and their values, in path order (`dt` before `hr`). */
export type Partition = Record<string, string>;

export interface HivePartition {
  /** A calendar date, YYYY-MM-DD. */
  dt: string;
  /** An hour of the day, 00..23. */
  hr?: string;
}

export interface ParsedKey {
  zone: Zone;
  dataset: string;
  partition: Partition;
  file: string;
}

const DATASET = /^[a-z0-9][a-z0-9_-]{0,127}$/;
const PART_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$/;
const PARTITION_SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/;

export function checkZone(zone: string): Zone {
  if (!(zones as readonly string[]).includes(zone)) throw invalid('zone', zone, `expected one of ${zones.join(', ')}`);
  return zone as Zone;
}

/** Dataset names are lower case so that they mean the same on case-insensitive disks and in Hive. */
export function checkDataset(dataset: string): string {
  if (!DATASET.test(dataset)) throw invalid('dataset name', dataset, 'expected lower-case letters, digits, "_" and "-", starting with a letter or digit');
  return dataset;
}

/** `<zone>/<dataset>/` */
export function datasetPrefix(zone: Zone, dataset: string): string {
  return `${checkZone(zone)}/${checkDataset(dataset)}/`;
}

function checkDate(dt: string): void {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dt);
  const [year, month, day] = (match ?? []).slice(1).map(Number);
  // Date.UTC rolls 2026-02-30 over into March and month 13 into the next year: a real date is one
  // that comes back as it went in.
  const date = new Date(Date.UTC(year ?? NaN, (month ?? NaN) - 1, day ?? NaN));
  const valid = match !== null && date.getUTCFullYear() === year && date.getUTCMonth() + 1 === month && date.getUTCDate() === day;
  if (!valid) throw invalid('partition value', dt, 'dt must be a calendar date, YYYY-MM-DD');
}

function checkHour(hr: string): void {
  if (!/^([01]\d|2[0-3])$/.test(hr)) throw invalid('partition value', hr, 'hr must be an hour, 00..23');
}

/** `dt=YYYY-MM-DD/hr=HH` (or `dt=...` alone) for a partition, without slashes around it. */
export function partitionPath(partition: Partition): string {
  return Object.entries(partition)
    .map(([column, value]) => `${column}=${value}`)
    .join('/');
}

/** `<zone>/<dataset>/dt=YYYY-MM-DD/[hr=HH/]`, with the date and hour checked. */
export function partitionPrefix(zone: Zone, dataset: string, partition: HivePartition): string {
  checkDate(partition.dt);
  if (partition.hr !== undefined) checkHour(partition.hr);
  const values: Partition = partition.hr === undefined ? { dt: partition.dt } : { dt: partition.dt, hr: partition.hr };
  return `${datasetPrefix(zone, dataset)}${partitionPath(values)}/`;
}

/** `part-<id>.parquet`; the id is letters, digits, `_` and `-` (a run id and a sequence number, say). */
export function partFileName(id: string, extension = 'parquet'): string {
  if (!PART_ID.test(id)) throw invalid('part id', id, 'expected letters, digits, "_" and "-"');
  if (!/^[a-z0-9]{1,16}$/.test(extension)) throw invalid('file extension', extension, 'expected lower-case letters and digits');
  return `part-${id}.${extension}`;
}

/**
 * A key laid out as `<zone>/<dataset>/[<column>=<value>/...]<file>`, split into its parts.
 * Throws LAKE_INVALID_KEY for a key that is not laid out so.
 */
export function parseKey(key: string): ParsedKey {
  const segments = checkKey(key).split('/');
  if (segments.length < 3) throw invalid('key', key, 'expected <zone>/<dataset>/[<column>=<value>/...]<file>');
  const zone = checkZone(segments[0] ?? '');
  const dataset = checkDataset(segments[1] ?? '');
  const file = segments[segments.length - 1] ?? '';
  const partition: Partition = {};
  for (const segment of segments.slice(2, -1)) {
    const match = PARTITION_SEGMENT.exec(segment);
    if (!match) throw invalid('key', key, `"${segment}" is not a <column>=<value> partition segment`);
    const [, column = '', value = ''] = match;
    if (column in partition) throw invalid('key', key, `partition column "${column}" appears twice`);
    partition[column] = value;
  }
  return { zone, dataset, partition, file };
}
