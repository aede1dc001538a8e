/**
 * A randomuser.me stand-in for the example: `GET /api/?results=N&page=P&seed=S` answers N users in
 * the API's response shape, the same users for the same seed and page every time, as the real API
 * does with a seed. Users are made up from a hash of (seed, page, index): no sample file is needed.
 *
 * It binds 127.0.0.1 only; `results` is capped at 5000, as the real API caps it.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const FIRST = { female: ['Ada', 'Ines', 'Mei', 'Noor', 'Olga', 'Priya', 'Sofia', 'Yara'], male: ['Bram', 'Chidi', 'Diego', 'Emil', 'Hugo', 'Kenji', 'Luca', 'Tomas'] };
const LAST = ['Andersen', 'Banerjee', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Horvat', 'Ito', 'Jansen', 'Kowalski', 'Lindqvist'];
const STREETS = ['Mill Lane', 'Harbour Road', 'Chestnut Avenue', 'Station Street', 'Orchard Way', 'Bridge Row'];
const PLACES = [
  { city: 'Aarhus', state: 'Midtjylland', country: 'Denmark', nat: 'DK' },
  { city: 'Lyon', state: 'Rhône', country: 'France', nat: 'FR' },
  { city: 'Leeds', state: 'West Yorkshire', country: 'United Kingdom', nat: 'GB' },
  { city: 'Porto', state: 'Norte', country: 'Portugal', nat: 'PT' },
  { city: 'Calgary', state: 'Alberta', country: 'Canada', nat: 'CA' },
];
const MAX_RESULTS = 5000;
const DAY_MS = 86_400_000;

function pick<T>(list: readonly T[], byte: number): T {
  return list[byte % list.length] as T;
}

/** One made-up user in the API's shape, a function of (seed, page, index) alone. */
export function emulatedUser(seed: string, page: number, index: number): Record<string, unknown> {
  const hash = createHash('sha256').update(`${seed}:${page}:${index}`).digest();
  const hex = hash.toString('hex');
  // A version-4 UUID's layout: version nibble 4, variant bits 10.
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((hash[8]! & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  const gender = hash[0]! % 2 === 0 ? 'female' : 'male';
  const first = pick(FIRST[gender], hash[1]!);
  const last = pick(LAST, hash[2]!);
  const place = pick(PLACES, hash[3]!);
  const username = `${first.toLowerCase()}${last.toLowerCase()}${hash.readUInt16BE(4) % 1000}`;
  const dob = new Date(Date.UTC(1950, 0, 1) + (hash.readUInt32BE(6) % (50 * 365)) * DAY_MS);
  const registered = new Date(Date.UTC(2003, 0, 1) + (hash.readUInt32BE(10) % (20 * 365)) * DAY_MS);
  const postcode = 10_000 + (hash.readUInt16BE(14) % 90_000);
  return {
    gender,
    name: { title: gender === 'female' ? 'Ms' : 'Mr', first, last },
    location: {
      street: { number: 1 + (hash[16]! % 250), name: pick(STREETS, hash[17]!) },
      city: place.city,
      state: place.state,
      country: place.country,
      // The real API sends numbers for some countries and text for others.
      postcode: hash[18]! % 2 === 0 ? postcode : String(postcode),
      coordinates: { latitude: ((hash[19]! / 255) * 180 - 90).toFixed(4), longitude: ((hash[20]! / 255) * 360 - 180).toFixed(4) },
    },
    email: `${first.toLowerCase()}.${last.toLowerCase()}@example.com`,
    login: { uuid, username },
    dob: { date: dob.toISOString(), age: new Date().getUTCFullYear() - dob.getUTCFullYear() },
    registered: { date: registered.toISOString(), age: new Date().getUTCFullYear() - registered.getUTCFullYear() },
    phone: `0${hash.readUInt32BE(21) % 1_000_000_000}`.padStart(10, '0'),
    picture: { medium: `https://randomuser.me/api/portraits/med/${gender === 'female' ? 'women' : 'men'}/${hash[25]! % 100}.jpg` },
    nat: place.nat,
  };
}

export interface RandomUserEmulator {
  readonly url: string;
  readonly apiUrl: string;
  /** The highest page answered with users so far (0: none). */
  highestPage(): number;
  /** From now on, pages past `page` answer no users, as an API does once it has given everything. */
  endAt(page: number): void;
  close(): Promise<void>;
}

export async function startRandomUserEmulator(port = 0): Promise<RandomUserEmulator> {
  let highest = 0;
  let last = Number.POSITIVE_INFINITY;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'GET' || (url.pathname !== '/api/' && url.pathname !== '/api')) return send(404, { error: 'not found' });
    const results = Number(url.searchParams.get('results') ?? '1');
    const page = Number(url.searchParams.get('page') ?? '1');
    if (!Number.isInteger(results) || results < 1 || results > MAX_RESULTS || !Number.isInteger(page) || page < 1) {
      return send(400, { error: `results must be 1..${MAX_RESULTS} and page at least 1` });
    }
    const seed = url.searchParams.get('seed') ?? 'random-users';
    const users = page > last ? [] : Array.from({ length: results }, (_, i) => emulatedUser(seed, page, i));
    if (users.length > 0) highest = Math.max(highest, page);
    send(200, { results: users, info: { seed, results, page, version: '1.4' } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    apiUrl: `${url}/api/`,
    highestPage: () => highest,
    endAt: (page) => (last = page),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
