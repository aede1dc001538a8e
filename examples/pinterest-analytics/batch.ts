/**
 * The batch half of the cleaning: each raw topic's archived records, cleaned by the stream jobs'
 * functions (clean.ts), merged by `ind` into a processed table.
 */
import { defineBatchJob, type BatchRecord } from 'tributary';
import { cleanGeo, cleanPin, cleanUser } from './clean.ts';
import { GEO, PINS, USERS } from './shapes.ts';

export const PROCESSED = { pins: 'pinterest_analytics_pins', geo: 'pinterest_analytics_geo', users: 'pinterest_analytics_users' } as const;

/** The raw zone's dataset of a topic, as the archiver names it. */
const rawDataset = (topic: string) => topic.toLowerCase().replace(/[^a-z0-9_-]/g, '_');

function parse(record: BatchRecord): unknown {
  try {
    return JSON.parse(String(record.value));
  } catch {
    return null;
  }
}

/**
 * A job cleaning one raw topic into its processed table: `row` turns a raw value into the table's
 * columns (null drops it); each row also keeps its `source`, `<topic>/<partition>/<offset>`.
 */
function cleanJob(name: string, side: string, topic: string, output: string, row: (raw: unknown) => BatchRecord | null, columns: Record<string, string>) {
  return defineBatchJob({
    name,
    description: `the raw ${side}, cleaned by the stream job's function, merged by ind`,
    inputs: [{ kind: 'dataset', name: 'raw', zone: 'raw', dataset: rawDataset(topic) }],
    transform: {
      sql: 'SELECT topic, "partition", "offset", value FROM raw',
      records: {
        fn: (record) => {
          const values = row(parse(record));
          return values && { ...values, source: `${String(record.topic)}/${String(record.partition)}/${String(record.offset)}` };
        },
        columns: [...Object.entries(columns).map(([column, type]) => ({ name: column, type })), { name: 'source', type: 'VARCHAR' }],
      },
    },
    output: { zone: 'processed', dataset: output, mode: 'merge', key: ['ind'] },
  });
}

export const cleanPinsBatch = cleanJob(
  'pinterest-analytics-pins',
  'pins',
  PINS,
  PROCESSED.pins,
  (raw) => {
    const pin = cleanPin(raw);
    return pin && { ...pin };
  },
  { ind: 'INTEGER', unique_id: 'VARCHAR', category: 'VARCHAR', title: 'VARCHAR', follower_count: 'BIGINT', file_type: 'VARCHAR', downloaded: 'INTEGER', save_location: 'VARCHAR' },
);

export const cleanGeoBatch = cleanJob(
  'pinterest-analytics-geo',
  'geolocations',
  GEO,
  PROCESSED.geo,
  (raw) => {
    const geo = cleanGeo(raw);
    return geo && { ind: geo.ind, posted_at: geo.posted_at, latitude: geo.coordinates[0], longitude: geo.coordinates[1], country: geo.country };
  },
  { ind: 'INTEGER', posted_at: 'VARCHAR', latitude: 'DOUBLE', longitude: 'DOUBLE', country: 'VARCHAR' },
);

export const cleanUsersBatch = cleanJob(
  'pinterest-analytics-users',
  'users',
  USERS,
  PROCESSED.users,
  (raw) => {
    const user = cleanUser(raw);
    return user && { ...user };
  },
  { ind: 'INTEGER', user_name: 'VARCHAR', age: 'INTEGER', date_joined: 'VARCHAR' },
);
