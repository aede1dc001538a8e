/**
 * The shapes of the AiCore Pinterest pipeline: three raw topics (pins, their geolocations, their
 * posters), joined by `ind` (the pin's `index`); the tagged topic the cleaning jobs write for the
 * join; and the enriched table the join writes.
 */
import { topic, z, type TableSpec } from 'tributary';

/**
 * The prefix of the topics, the stream jobs and the joined table; `PINTEREST_ANALYTICS_NAMESPACE`
 * sets another, so that runs on shared engines (tests on one Kafka, Redis and PostgreSQL) keep apart.
 */
export const NAMESPACE = process.env.PINTEREST_ANALYTICS_NAMESPACE ?? 'pinterest-analytics';
export const PINS = `${NAMESPACE}.pins`;
export const GEO = `${NAMESPACE}.geo`;
export const USERS = `${NAMESPACE}.users`;
/** The cleaned records of all three topics, tagged with their side and keyed by `ind`. */
export const CLEANED = `${NAMESPACE}.cleaned`;

/** "2020-08-28 03:52:47" (UTC), as the AiCore geolocation and user records carry their times. */
const sqlDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'expected YYYY-MM-DD HH:MM:SS');

/** When the emulator meant to post the record (ISO 8601): the same for a pin, its geolocation and its user. Not in the AiCore data. */
const emittedAt = z.iso.datetime({ offset: true }).optional().describe('When the record was emitted (added by the emulator); the join\'s event time.');

/** A pin as scraped: text fields hold the scraper's error texts; `follower_count` like "124k". */
export const rawPinSchema = z.object({
  index: z.number().int().min(0).describe('The pin; joins `ind` of its geolocation and user.'),
  unique_id: z.string(),
  category: z.string(),
  title: z.string(),
  description: z.string(),
  follower_count: z.string().describe('"124k", "6M", "37" or "User Info Error".'),
  tag_list: z.string(),
  is_image_or_video: z.string(),
  image_src: z.string(),
  downloaded: z.number().int().min(0).max(1),
  save_location: z.string(),
  emitted_at: emittedAt,
});

export const rawGeoSchema = z.object({
  ind: z.number().int().min(0),
  timestamp: sqlDateTime.describe('When the pin was posted.'),
  latitude: z.number(),
  longitude: z.number(),
  country: z.string(),
  emitted_at: emittedAt,
});

export const rawUserSchema = z.object({
  ind: z.number().int().min(0),
  first_name: z.string(),
  last_name: z.string(),
  age: z.number().int(),
  date_joined: sqlDateTime,
  emitted_at: emittedAt,
});

export type RawPin = z.output<typeof rawPinSchema>;
export type RawGeo = z.output<typeof rawGeoSchema>;
export type RawUser = z.output<typeof rawUserSchema>;

export interface CleanPin {
  ind: number;
  unique_id: string;
  category: string;
  title: string | null;
  follower_count: number | null;
  file_type: string;
  downloaded: number;
  save_location: string;
}

export interface CleanGeo {
  ind: number;
  /** ISO 8601, UTC. */
  posted_at: string;
  /** [latitude, longitude], as the curriculum's `coordinates` array. */
  coordinates: [number, number];
  country: string;
}

export interface CleanUser {
  ind: number;
  user_name: string;
  age: number;
  /** ISO 8601, UTC. */
  date_joined: string;
}

export type Sides = { pin: CleanPin; geo: CleanGeo; user: CleanUser };

/** A record of the cleaned topic: one side's cleaned value, with its event time (`emitted_at`, else the append time). */
export const cleanedSchema = z.discriminatedUnion('side', [
  z.object({ side: z.literal('pin'), ind: z.number().int(), time: z.number(), value: z.custom<CleanPin>((v) => typeof v === 'object' && v !== null) }),
  z.object({ side: z.literal('geo'), ind: z.number().int(), time: z.number(), value: z.custom<CleanGeo>((v) => typeof v === 'object' && v !== null) }),
  z.object({ side: z.literal('user'), ind: z.number().int(), time: z.number(), value: z.custom<CleanUser>((v) => typeof v === 'object' && v !== null) }),
]);
export type Cleaned = z.output<typeof cleanedSchema>;

export const pinTopic = topic({ name: PINS, schema: rawPinSchema, ingest: true, keyField: 'index', description: 'Append pins (raw, as scraped)' });
export const geoTopic = topic({ name: GEO, schema: rawGeoSchema, ingest: true, keyField: 'ind', description: 'Append pin geolocations (ind = the pin index)' });
export const userTopic = topic({ name: USERS, schema: rawUserSchema, ingest: true, keyField: 'ind', description: 'Append pin posters (ind = the pin index)' });
export const cleanedTopic = topic({ name: CLEANED, schema: cleanedSchema, keyField: 'ind', archive: false, description: 'Cleaned pins, geolocations and users, tagged, for the join' });

/** One row per pin: the pin with its geolocation and poster, null where the join found no record of that side. */
export const enrichedTable: TableSpec = {
  name: process.env.PINTEREST_ANALYTICS_NAMESPACE === undefined ? 'pinterest_enriched' : `${NAMESPACE.replace(/[^a-z0-9_]/g, '_')}_enriched`,
  key: ['ind'],
  columns: {
    ind: 'integer',
    unique_id: 'text',
    category: 'text',
    title: 'text',
    follower_count: 'bigint',
    file_type: 'text',
    country: 'text',
    latitude: 'double',
    longitude: 'double',
    posted_at: 'timestamp',
    user_name: 'text',
    age: 'integer',
    date_joined: 'timestamp',
    matched: 'boolean',
    window_start: 'bigint',
    window_end: 'bigint',
  },
};
