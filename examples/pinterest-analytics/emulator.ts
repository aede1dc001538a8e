/**
 * The AiCore posting emulator: for each event `i` it posts a pin, its geolocation and its poster to
 * the three ingest topics, all three with `ind = i`, so the stream has one complete triple per pin.
 *
 * Pins cycle through the 200 sample pins (data/pins.jsonl, see the README for their origin).
 * Geolocations and users are generated from `ind` alone (a fixed hash, no randomness), in the AiCore
 * shapes: a country from a short list (so per-country rankings have something to rank), a posting
 * time in 2018–2022, a name, an age of 18–65 and a joining date in 2015–2017.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { runPostingEmulator, TributaryError, type ServiceDeclaration } from 'tributary';
import { GEO, PINS, rawPinSchema, USERS, type RawGeo, type RawPin, type RawUser } from './shapes.ts';

export const SAMPLE_PINS = new URL('./data/pins.jsonl', import.meta.url);

const COUNTRIES = ['Albania', 'Armenia', 'Aruba', 'Colombia', 'French Guiana', 'Maldives', 'Chad', 'Peru', 'Fiji', 'Norway', 'Kenya', 'Laos'];
const FIRST = ['Abigail', 'Dylan', 'Rachel', 'Aaron', 'Bella', 'Chris', 'Dana', 'Elena', 'Femi', 'Gita', 'Hugo', 'Ines'];
const LAST = ['Ali', 'Holmes', 'Davis', 'Baker', 'Chen', 'Diaz', 'Evans', 'Fox', 'Garcia', 'Hill', 'Ito', 'Jones'];
const DAY = 86_400_000;

/** The sample pins, each checked against the raw schema. */
export function loadPins(file: URL = SAMPLE_PINS): RawPin[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TributaryError('CONFIG_INVALID', `cannot read the sample pins at ${file.pathname}: ${(error as Error).message}`, { cause: error });
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const parsed = rawPinSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new TributaryError('SCHEMA_VALIDATION', `${file.pathname} line ${i + 1} is not a pin: ${parsed.error.issues[0]?.message ?? ''}`);
      return parsed.data;
    });
}

/** A 32-bit mix of `ind` and `salt` (splitmix-style), the emulator's only source of variety. */
function hash(ind: number, salt: number): number {
  let h = Math.imul(ind ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function sqlTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function pinFor(ind: number, pins: readonly RawPin[], emittedAt?: string): RawPin {
  return { ...pins[ind % pins.length]!, index: ind, unique_id: randomUUID(), ...(emittedAt === undefined ? {} : { emitted_at: emittedAt }) };
}

export function geoFor(ind: number, emittedAt?: string): RawGeo {
  const posted = Date.UTC(2018, 0, 1) + (hash(ind, 1) % (5 * 365)) * DAY + (hash(ind, 2) % DAY);
  return {
    ind,
    timestamp: sqlTime(posted),
    latitude: Math.round(((hash(ind, 3) % 180_000) / 1000 - 90) * 1000) / 1000,
    longitude: Math.round(((hash(ind, 4) % 360_000) / 1000 - 180) * 1000) / 1000,
    country: COUNTRIES[hash(ind, 5) % COUNTRIES.length]!,
    ...(emittedAt === undefined ? {} : { emitted_at: emittedAt }),
  };
}

export function userFor(ind: number, emittedAt?: string): RawUser {
  const joined = Date.UTC(2015, 0, 1) + (hash(ind, 6) % (3 * 365)) * DAY + (hash(ind, 7) % DAY);
  const user = { ind, first_name: FIRST[hash(ind, 8) % FIRST.length]!, last_name: LAST[hash(ind, 9) % LAST.length]!, age: 18 + (hash(ind, 10) % 48), date_joined: sqlTime(joined) };
  return emittedAt === undefined ? user : { ...user, emitted_at: emittedAt };
}

export interface PostAllOptions {
  url: string;
  apiKey?: string;
  /** Events (triples) per second. */
  rate: number;
  /** Stop after this many events. */
  events?: number;
  signal?: AbortSignal;
}

/** Posts `rate` triples a second to the three topics until the limit or the signal. */
export async function postAll(options: PostAllOptions): Promise<{ pins: number; geo: number; users: number }> {
  const pins = loadPins();
  // Event i is due at start + i / rate: its three records carry that time, so they share an event time.
  const start = Date.now();
  const emitted = (i: number) => new Date(start + Math.floor((i * 1000) / options.rate)).toISOString();
  const common = {
    url: options.url,
    rate: options.rate,
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    ...(options.events === undefined ? {} : { records: options.events }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const [p, g, u] = await Promise.all([
    runPostingEmulator<RawPin>({ ...common, topic: PINS, record: (i) => pinFor(i, pins, emitted(i)) }),
    runPostingEmulator<RawGeo>({ ...common, topic: GEO, record: (i) => geoFor(i, emitted(i)) }),
    runPostingEmulator<RawUser>({ ...common, topic: USERS, record: (i) => userFor(i, emitted(i)) }),
  ]);
  return { pins: p.accepted, geo: g.accepted, users: u.accepted };
}

/** The emulator as a pipeline service, posting to this process's ingest API while it runs. */
export function aicorePoster(rate: number, events: number | undefined): ServiceDeclaration {
  return {
    name: 'aicore-poster',
    description: `posts ${rate} pins a second, each with its geolocation and user, to POST /ingest/${PINS}, /ingest/${GEO} and /ingest/${USERS}${events === undefined ? '' : `, ${events} in all`}`,
    needsServer: true,
    run: async (ctx, signal) => {
      if (!ctx.serverUrl) throw new TributaryError('CONFIG_INVALID', 'the AiCore poster needs the ingest API: run it in tributary dev');
      await postAll({ url: ctx.serverUrl, rate, signal, ...(events === undefined ? {} : { events }), ...(ctx.apiKey === undefined ? {} : { apiKey: ctx.apiKey }) });
    },
  };
}
