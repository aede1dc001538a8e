/**
 * The Pinterest pipeline's shapes: the raw topics (pins as the scraper produced them, errors and
 * all; their geolocations and posters), the cleaned pin, and the real-time table `pinterest_pins`
 * keyed by `unique_id`. The cleaning itself is clean-pin.ts.
 */
import { topic, topicDataset, z, type RecordContext, type Row, type TableSpec } from 'tributary';

/** `pinterest.pins`, unless `PINTEREST_PINS_TOPIC` names another (a Kafka shared with other runs may need it). */
export const PIN_TOPIC = process.env.PINTEREST_PINS_TOPIC || 'pinterest.pins';
/** Where the archiver copies the pins in the raw zone. */
export const PIN_RAW_DATASET = topicDataset(PIN_TOPIC);
export const GEO_TOPIC = 'pinterest.geo';
export const USER_TOPIC = 'pinterest.users';

/**
 * A raw pin exactly as the source data has it: every text field a string, even where it holds the
 * scraper's error text (`User Info Error`, `No Title Data Available`, ...); `follower_count` like
 * "124k"; `tag_list` comma-joined. `timestamp` is not in the source data: the emulator adds the time
 * it sent the pin.
 */
export const rawPinSchema = z.object({
  category: z.string().describe('Board category, e.g. "diy-and-crafts".'),
  index: z.number().int().min(0).describe('Position of the pin in the scraped set; joins the geolocation and user records (their `ind`).'),
  unique_id: z.string().describe('Pin id, normally a UUID.'),
  title: z.string(),
  description: z.string(),
  follower_count: z.string().describe('Followers of the poster as shown: "124k", "6M", "0", or "User Info Error".'),
  tag_list: z.string().describe('Comma-joined tags.'),
  is_image_or_video: z.string().describe('"image", "video" or "multi-video(story page format)".'),
  image_src: z.string(),
  downloaded: z.number().int().min(0).max(1),
  save_location: z.string(),
  timestamp: z.iso.datetime({ offset: true }).optional().describe('When the pin was posted (added by the emulator; ISO 8601).'),
});

export type RawPin = z.output<typeof rawPinSchema>;

export interface CleanPin {
  /** null when the raw id is not a UUID. */
  unique_id: string | null;
  index: number;
  category: string;
  title: string | null;
  description: string | null;
  follower_count: number | null;
  /** The comma-joined list split and trimmed; null for the scraper's "no tags" marker. */
  tag_list: string[] | null;
  /** Was `is_image_or_video`. */
  file_type: string;
  image_src: string | null;
  downloaded: number;
  save_location: string;
  timestamp: string | null;
}

/** "2020-08-28 03:52:47", as the original pipeline's geolocation and user records carry their times (UTC). */
const sqlDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'expected YYYY-MM-DD HH:MM:SS');

/** Where and when a pin was posted; `ind` is the pin's `index`. */
export const rawGeoSchema = z.object({
  ind: z.number().int().min(0),
  timestamp: sqlDateTime,
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  country: z.string(),
});

/** Who posted a pin; `ind` is the pin's `index`. */
export const rawUserSchema = z.object({
  ind: z.number().int().min(0),
  first_name: z.string(),
  last_name: z.string(),
  age: z.number().int().min(0),
  date_joined: sqlDateTime,
});

/** The raw topics, open on the ingest API: pins keyed by `unique_id` with their event time; geolocations and posters keyed by `ind`. */
export const pinTopic = topic({ name: PIN_TOPIC, schema: rawPinSchema, ingest: true, keyField: 'unique_id', timeField: 'timestamp', description: 'Append Pinterest pins (raw, as scraped)' });
export const geoTopic = topic({ name: GEO_TOPIC, schema: rawGeoSchema, ingest: true, keyField: 'ind', description: 'Append pin geolocations (ind = the pin index)' });
export const userTopic = topic({ name: USER_TOPIC, schema: rawUserSchema, ingest: true, keyField: 'ind', description: 'Append pin posters (ind = the pin index)' });

export const pinsTable: TableSpec = {
  name: 'pinterest_pins',
  key: ['unique_id'],
  columns: {
    unique_id: 'text',
    index: 'integer',
    category: 'text',
    title: 'text',
    description: 'text',
    follower_count: 'bigint',
    tag_list: 'json',
    file_type: 'text',
    image_src: 'text',
    downloaded: 'integer',
    save_location: 'text',
    event_time: 'timestamp',
    source: 'text',
  },
};

/** A clean pin with a unique_id as a view row; the event time falls back to the log record's. */
export function pinRow(pin: CleanPin, ctx: RecordContext): Row {
  const { timestamp, ...fields } = pin;
  return { ...fields, event_time: new Date(timestamp ?? ctx.timestamp), source: `${ctx.topic}/${ctx.partition}/${ctx.offset}` };
}
