/**
 * Brute-force answers over the raw records (as the log holds them), for the end-to-end tests to
 * compare the join and the batch analytics with: plain loops and sorts, no windows, no SQL.
 */
import { cleanGeo, cleanPin, cleanUser } from '../clean.ts';
import type { CleanGeo, CleanPin, CleanUser } from '../shapes.ts';

export interface RawRecords {
  pins: unknown[];
  geo: unknown[];
  users: unknown[];
}

export interface Joined {
  pin: CleanPin;
  geo: CleanGeo;
  user: CleanUser;
}

/** Every pin with its geolocation and user by ind; the last record of an ind wins, as the merges do. */
export function joinAll(raw: RawRecords): Map<number, Joined> {
  const byInd = <T extends { ind: number }>(values: unknown[], clean: (v: unknown) => T | null) => {
    const map = new Map<number, T>();
    for (const value of values) {
      const cleaned = clean(value);
      if (cleaned) map.set(cleaned.ind, cleaned);
    }
    return map;
  };
  const pins = byInd(raw.pins, cleanPin);
  const geo = byInd(raw.geo, cleanGeo);
  const users = byInd(raw.users, cleanUser);
  const out = new Map<number, Joined>();
  for (const [ind, pin] of pins) {
    const g = geo.get(ind);
    const u = users.get(ind);
    if (g && u) out.set(ind, { pin, geo: g, user: u });
  }
  return out;
}

function top<T>(groups: Map<string, T[]>, better: (a: T, b: T) => number): Map<string, T> {
  return new Map([...groups].map(([key, values]) => [key, [...values].sort(better)[0]!]));
}

function groupBy<T>(values: Iterable<T>, key: (v: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const v of values) {
    const k = key(v);
    const group = groups.get(k);
    if (group) group.push(v);
    else groups.set(k, [v]);
  }
  return groups;
}

/** The most popular category of each group: most pins, ties by category name. */
export function popularCategory(joined: Iterable<Joined>, group: (j: Joined) => string): Map<string, { category: string; count: number }> {
  const counts = [...groupBy(joined, (j) => `${group(j)}\u0000${j.pin.category}`)].map(([k, v]) => ({ group: k.split('\u0000')[0]!, category: v[0]!.pin.category, count: v.length }));
  const best = top(groupBy(counts, (c) => c.group), (a, b) => b.count - a.count || (a.category < b.category ? -1 : 1));
  return new Map([...best].map(([g, c]) => [g, { category: c.category, count: c.count }]));
}

/** The user with the most followers in each country; ties by user name, then ind. */
export function topUserByCountry(joined: Iterable<Joined>): Map<string, { user_name: string; follower_count: number }> {
  const known = [...joined].filter((j) => j.pin.follower_count !== null);
  const best = top(groupBy(known, (j) => j.geo.country), (a, b) => b.pin.follower_count! - a.pin.follower_count! || (a.user.user_name < b.user.user_name ? -1 : a.user.user_name > b.user.user_name ? 1 : a.pin.ind - b.pin.ind));
  return new Map([...best].map(([country, j]) => [country, { user_name: j.user.user_name, follower_count: j.pin.follower_count! }]));
}

export function ageGroup(age: number): string {
  return age < 25 ? '18-24' : age <= 35 ? '25-35' : age <= 50 ? '36-50' : '50+';
}

/** The median (interpolated between the two middle values for an even count) per group. */
export function medianFollowers(joined: Iterable<Joined>, group: (j: Joined) => string): Map<string, number> {
  const known = [...joined].filter((j) => j.pin.follower_count !== null);
  return new Map(
    [...groupBy(known, group)].map(([g, js]) => {
      const sorted = js.map((j) => j.pin.follower_count!).sort((a, b) => a - b);
      const mid = (sorted.length - 1) / 2;
      return [g, (sorted[Math.floor(mid)]! + sorted[Math.ceil(mid)]!) / 2];
    }),
  );
}

export function usersJoinedPerYear(raw: RawRecords): Map<string, number> {
  const users = new Map<number, CleanUser>();
  for (const value of raw.users) {
    const user = cleanUser(value);
    if (user) users.set(user.ind, user);
  }
  return new Map([...groupBy(users.values(), (u) => u.date_joined.slice(0, 4))].map(([year, us]) => [year, us.length]));
}
