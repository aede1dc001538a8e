/**
 * The batch half of the cleaning: each raw topic's archived records, cleaned by the stream jobs'
 * functions (clean.ts), merged by `ind` into a processed table.
 */
import { defineBatchJob, type BatchRecord } from 'tributary';
import { cleanGeo, cleanPin, cleanUser } from './clean.ts';
import { GEO, PINS, USERS } from './shapes.ts';

/** The raw zone's dataset of a topic, as the archiver names it. */
const rawDataset = (topic: string) => topic.toLowerCase().replace(/[^a-z0-9_-]/g, '_');

function parse(record: BatchRecord): unknown {
  try {
    return JSON.parse(String(record.value));
  } catch {
    return null;
  }
}

/** Where a row came from in the log, as `<topic>/<partition>/<offset>` (the stream side has the same). */
function source(record: BatchRecord): string {
  return `${String(record.topic)}/${String(record.partition)}/${String(record.offset)}`;
}

const RAW_SQL = 'SELECT topic, "partition", "offset", value FROM raw';

export const PROCESSED = { pins: 'pinterest_analytics_pins', geo: 'pinterest_analytics_geo', users: 'pinterest_analytics_users' } as const;

export const cleanPinsBatch = defineBatchJob({
  name: 'pinterest-analytics-pins',
  description: 'the raw pins, cleaned by the stream job\'s cleanPin, merged by ind',
  inputs: [{ kind: 'dataset', name: 'raw', zone: 'raw', dataset: rawDataset(PINS) }],
  transform: {
    sql: RAW_SQL,
    records: {
      fn: (record) => {
        const pin = cleanPin(parse(record));
        return pin && { ind: pin.ind, unique_id: pin.unique_id, category: pin.category, title: pin.title, follower_count: pin.follower_count, file_type: pin.file_type, downloaded: pin.downloaded, save_location: pin.save_location, source: source(record) };
      },
      columns: [
        { name: 'ind', type: 'INTEGER' },
        { name: 'unique_id', type: 'VARCHAR' },
        { name: 'category', type: 'VARCHAR' },
        { name: 'title', type: 'VARCHAR' },
        { name: 'follower_count', type: 'BIGINT' },
        { name: 'file_type', type: 'VARCHAR' },
        { name: 'downloaded', type: 'INTEGER' },
        { name: 'save_location', type: 'VARCHAR' },
        { name: 'source', type: 'VARCHAR' },
      ],
    },
  },
  output: { zone: 'processed', dataset: PROCESSED.pins, mode: 'merge', key: ['ind'] },
});

export const cleanGeoBatch = defineBatchJob({
  name: 'pinterest-analytics-geo',
  description: 'the raw geolocations, cleaned by the stream job\'s cleanGeo, merged by ind',
  inputs: [{ kind: 'dataset', name: 'raw', zone: 'raw', dataset: rawDataset(GEO) }],
  transform: {
    sql: RAW_SQL,
    records: {
      fn: (record) => {
        const geo = cleanGeo(parse(record));
        return geo && { ind: geo.ind, posted_at: geo.posted_at, latitude: geo.coordinates[0], longitude: geo.coordinates[1], country: geo.country, source: source(record) };
      },
      columns: [
        { name: 'ind', type: 'INTEGER' },
        { name: 'posted_at', type: 'VARCHAR' },
        { name: 'latitude', type: 'DOUBLE' },
        { name: 'longitude', type: 'DOUBLE' },
        { name: 'country', type: 'VARCHAR' },
        { name: 'source', type: 'VARCHAR' },
      ],
    },
  },
  output: { zone: 'processed', dataset: PROCESSED.geo, mode: 'merge', key: ['ind'] },
});

export const cleanUsersBatch = defineBatchJob({
  name: 'pinterest-analytics-users',
  description: 'the raw users, cleaned by the stream job\'s cleanUser, merged by ind',
  inputs: [{ kind: 'dataset', name: 'raw', zone: 'raw', dataset: rawDataset(USERS) }],
  transform: {
    sql: RAW_SQL,
    records: {
      fn: (record) => {
        const user = cleanUser(parse(record));
        return user && { ind: user.ind, user_name: user.user_name, age: user.age, date_joined: user.date_joined, source: source(record) };
      },
      columns: [
        { name: 'ind', type: 'INTEGER' },
        { name: 'user_name', type: 'VARCHAR' },
        { name: 'age', type: 'INTEGER' },
        { name: 'date_joined', type: 'VARCHAR' },
        { name: 'source', type: 'VARCHAR' },
      ],
    },
  },
  output: { zone: 'processed', dataset: PROCESSED.users, mode: 'merge', key: ['ind'] },
});
