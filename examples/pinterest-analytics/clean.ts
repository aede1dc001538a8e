/**
 * The curriculum's cleaning rules, one plain function per topic, so the stream jobs and the batch
 * jobs over the raw zone apply the very same rules:
 * - pins: `follower_count` "10k" → 10000, "1M" → 1000000, digits as they are, anything else
 *   ("User Info Error") → null; the title placeholder → null; `is_image_or_video` → `file_type`;
 *   `save_location` without its "Local save in " prefix; `index` → `ind`;
 * - geolocations: latitude and longitude into `coordinates`; the timestamp as ISO 8601 `posted_at`;
 * - users: first and last name into `user_name`; `date_joined` as ISO 8601.
 * A record that does not fit its raw schema cleans to null.
 */
import { rawGeoSchema, rawPinSchema, rawUserSchema, type CleanGeo, type CleanPin, type CleanUser } from './shapes.ts';

const MULTIPLIER: Record<string, number> = { '': 1, k: 1_000, M: 1_000_000 };

export function cleanPin(raw: unknown): CleanPin | null {
  const parsed = rawPinSchema.safeParse(raw);
  if (!parsed.success) return null;
  const pin = parsed.data;
  const title = pin.title.trim();
  return {
    ind: pin.index,
    unique_id: pin.unique_id,
    category: pin.category,
    title: title === '' || title === 'No Title Data Available' ? null : pin.title,
    follower_count: followers(pin.follower_count),
    file_type: pin.is_image_or_video,
    downloaded: pin.downloaded,
    save_location: pin.save_location.replace(/^Local save in /, ''),
  };
}

export function cleanGeo(raw: unknown): CleanGeo | null {
  const parsed = rawGeoSchema.safeParse(raw);
  if (!parsed.success) return null;
  const geo = parsed.data;
  return { ind: geo.ind, posted_at: iso(geo.timestamp), coordinates: [geo.latitude, geo.longitude], country: geo.country };
}

export function cleanUser(raw: unknown): CleanUser | null {
  const parsed = rawUserSchema.safeParse(raw);
  if (!parsed.success) return null;
  const user = parsed.data;
  return { ind: user.ind, user_name: `${user.first_name} ${user.last_name}`, age: user.age, date_joined: iso(user.date_joined) };
}

/** "124k" → 124000, "6M" → 6000000, "37" → 37; anything else → null. */
export function followers(value: string): number | null {
  const match = /^(\d+(?:\.\d+)?)([kM]?)$/.exec(value.trim());
  if (!match) return null;
  const n = Math.round(Number(match[1]) * MULTIPLIER[match[2]!]!);
  return Number.isSafeInteger(n) ? n : null;
}

/** "2020-08-28 03:52:47" (UTC) → "2020-08-28T03:52:47.000Z". */
function iso(sqlTime: string): string {
  return new Date(`${sqlTime.replace(' ', 'T')}Z`).toISOString();
}
