/**
 * The speed layer: one stateless job per raw topic cleans its records into the tagged topic, and a
 * windowed job joins each pin with its geolocation and user by `ind` within a session window (an
 * interval join: the records of a pin at most `JOIN_GAP_MS` apart in event time are one group).
 * Event time is the record's `emitted_at` (the emulator gives a pin's three records the same one),
 * or its append time.
 */
import { Pipeline, session, statelessJob, windowedJob, windowJoin, type RecordContext, type Row } from 'tributary';
import { cleanGeo, cleanPin, cleanUser } from './clean.ts';
import { CLEANED, cleanedSchema, enrichedTable, GEO, NAMESPACE, PINS, rawGeoSchema, rawPinSchema, rawUserSchema, USERS, type Cleaned, type Sides } from './shapes.ts';

/** How far apart (append time) a pin's three records may be and still join. */
export const JOIN_GAP_MS = 2_000;
/**
 * How long after a window fired a side may still arrive and update the row. The three sides come
 * through three cleaning jobs into one topic, so a side whose job stalls (its worker died and the
 * group has not handed its partitions over yet) arrives behind the others; the row is then written
 * without it first and completed when it comes.
 */
export const JOIN_ALLOWED_LATENESS_MS = 60_000;
/** How far behind the newest event time the join's watermark trails. */
export const JOIN_OUT_OF_ORDERNESS_MS = 1_000;
export const JOIN_JOB = `${NAMESPACE}-join`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const toCleaned = { topic: CLEANED, key: (c: Cleaned) => String(c.ind) };
/** The event time of a raw record: when the emulator emitted it, else when the log took it. */
const eventTime = (raw: { emitted_at?: string | undefined }, ctx: RecordContext) => (raw.emitted_at === undefined ? ctx.timestamp : Date.parse(raw.emitted_at));

/** A job cleaning one raw topic into the tagged topic; `clean` returns null for a value that is not of its side. */
function cleanJob<R extends { emitted_at?: string | undefined }, V extends Cleaned>(name: string, pipeline: Pipeline<R>, side: V['side'], clean: (raw: R) => V['value'] | null) {
  return statelessJob({
    name: `${NAMESPACE}-${name}`,
    pipeline: pipeline.map((raw, ctx): Cleaned | null => {
      const value = clean(raw);
      return value && ({ side, ind: value.ind, time: eventTime(raw, ctx), value } as Cleaned);
    }, `clean-${side}`),
    output: toCleaned,
  });
}

export const cleanJobs = [
  cleanJob('clean-pins', Pipeline.from(PINS, rawPinSchema).filter((raw) => UUID.test(raw.unique_id), 'uuid'), 'pin', cleanPin),
  cleanJob('clean-geo', Pipeline.from(GEO, rawGeoSchema), 'geo', cleanGeo),
  cleanJob('clean-users', Pipeline.from(USERS, rawUserSchema), 'user', cleanUser),
];

export const joinJob = windowedJob({
  name: JOIN_JOB,
  pipeline: Pipeline.from(CLEANED, cleanedSchema),
  keyBy: (c: Cleaned) => String(c.ind),
  eventTime: (c: Cleaned) => c.time,
  window: session(JOIN_GAP_MS),
  // The cleaned topic is at-least-once (a clean job that crashed sends its last batch again): one record per side and ind.
  aggregator: windowJoin<Sides>({ sides: ['pin', 'geo', 'user'], primary: 'pin', mode: 'left', identity: (side, value) => `${side}/${value.ind}` }),
  // A quiet stream still closes its last windows soon after the posting stops.
  idleTimeoutMs: 1000,
  maxOutOfOrdernessMs: JOIN_OUT_OF_ORDERNESS_MS,
  allowedLatenessMs: JOIN_ALLOWED_LATENESS_MS,
  table: enrichedTable,
  row: ({ key, window, result }): Row => {
    const { pin = null, geo = null, user = null } = result.rows[0] ?? {};
    return {
      ind: Number(key),
      unique_id: pin?.unique_id ?? null,
      category: pin?.category ?? null,
      title: pin?.title ?? null,
      follower_count: pin?.follower_count ?? null,
      file_type: pin?.file_type ?? null,
      country: geo?.country ?? null,
      latitude: geo?.coordinates[0] ?? null,
      longitude: geo?.coordinates[1] ?? null,
      posted_at: geo ? new Date(geo.posted_at) : null,
      user_name: user?.user_name ?? null,
      age: user?.age ?? null,
      date_joined: user ? new Date(user.date_joined) : null,
      matched: result.matched === 1 && result.rows.length === 1,
      window_start: window.start,
      window_end: window.end,
    };
  },
});
