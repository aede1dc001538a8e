/**
 * The speed layer: one stateless job per raw topic cleans its records into the tagged topic, and a
 * windowed job joins each pin with its geolocation and user by `ind` within a session window (an
 * interval join: the three records of a pin, at most `JOIN_GAP_MS` apart, are one group).
 */
import { Pipeline, session, statelessJob, windowedJob, windowJoin, type RecordContext, type Row } from 'tributary';
import { cleanGeo, cleanPin, cleanUser } from './clean.ts';
import { CLEANED, cleanedSchema, enrichedTable, GEO, PINS, rawGeoSchema, rawPinSchema, rawUserSchema, USERS, type Cleaned, type Sides } from './shapes.ts';

/** How far apart (append time) a pin's three records may be and still join. */
export const JOIN_GAP_MS = 3_000;
export const JOIN_JOB = 'pinterest-analytics-join';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const tagged = (side: Cleaned['side']) => (value: Cleaned['value'] & { ind: number }, ctx: RecordContext) => ({ side, ind: value.ind, time: ctx.timestamp, value }) as Cleaned;
const toCleaned = { topic: CLEANED, key: (c: Cleaned) => String(c.ind) };

export const cleanJobs = [
  statelessJob({
    name: 'pinterest-analytics-clean-pins',
    pipeline: Pipeline.from(PINS, rawPinSchema).map(cleanPin, 'clean-pin').filter((pin) => UUID.test(pin.unique_id), 'uuid').map(tagged('pin'), 'tag'),
    output: toCleaned,
  }),
  statelessJob({ name: 'pinterest-analytics-clean-geo', pipeline: Pipeline.from(GEO, rawGeoSchema).map(cleanGeo, 'clean-geo').map(tagged('geo'), 'tag'), output: toCleaned }),
  statelessJob({ name: 'pinterest-analytics-clean-users', pipeline: Pipeline.from(USERS, rawUserSchema).map(cleanUser, 'clean-user').map(tagged('user'), 'tag'), output: toCleaned }),
];

export const joinJob = windowedJob({
  name: JOIN_JOB,
  pipeline: Pipeline.from(CLEANED, cleanedSchema),
  keyBy: (c: Cleaned) => String(c.ind),
  eventTime: (c: Cleaned) => c.time,
  window: session(JOIN_GAP_MS),
  aggregator: windowJoin<Sides>({ sides: ['pin', 'geo', 'user'], primary: 'pin', mode: 'left' }),
  // A quiet stream still closes its last windows soon after the posting stops.
  idleTimeoutMs: 1000,
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
