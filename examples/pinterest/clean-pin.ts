/**
 * The Pinterest cleaning rules as one plain record function, so a stream job (a `map` step) and a
 * batch job over raw lake files apply the very same rules:
 * - `follower_count`: "10k" → 10000, "1M" → 1000000, plain digits as they are; anything else
 *   (`User Info Error`) → null;
 * - the scraper's placeholders → null: `No Title Data Available`, `No description available` (and
 *   `No description available Story format`), `Image src error.`, and the tag list
 *   `N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e` (the string "No Tags Available" joined letter by letter);
 * - `tag_list` split on commas into trimmed, non-empty tags;
 * - `is_image_or_video` renamed `file_type`;
 * - a `unique_id` that is not a UUID → null;
 * - an empty or blank text field → null.
 */
import { rawPinSchema, type CleanPin } from './pins.ts';

const TITLE_ERRORS = new Set(['No Title Data Available']);
const DESCRIPTION_ERRORS = new Set(['No description available', 'No description available Story format']);
const IMAGE_ERRORS = new Set(['Image src error.']);
const NO_TAGS = 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MULTIPLIER: Record<string, number> = { '': 1, k: 1_000, M: 1_000_000 };

/** The cleaned pin, or null when `raw` is not a pin at all (it does not fit `rawPinSchema`). */
export function cleanPin(raw: unknown): CleanPin | null {
  const parsed = rawPinSchema.safeParse(raw);
  if (!parsed.success) return null;
  const pin = parsed.data;
  return {
    unique_id: UUID.test(pin.unique_id) ? pin.unique_id : null,
    index: pin.index,
    category: pin.category,
    title: text(pin.title, TITLE_ERRORS),
    description: text(pin.description, DESCRIPTION_ERRORS),
    follower_count: followers(pin.follower_count),
    tag_list: tags(pin.tag_list),
    file_type: pin.is_image_or_video,
    image_src: text(pin.image_src, IMAGE_ERRORS),
    downloaded: pin.downloaded,
    save_location: pin.save_location,
    timestamp: pin.timestamp ?? null,
  };
}

/** "124k" → 124000, "6M" → 6000000, "1.5k" → 1500, "37" → 37; anything else → null. */
export function followers(value: string): number | null {
  const match = /^(\d+(?:\.\d+)?)([kM]?)$/.exec(value.trim());
  if (!match) return null;
  const n = Number(match[1]) * MULTIPLIER[match[2]!]!;
  return Number.isSafeInteger(n) ? n : null;
}

function text(value: string, placeholders: ReadonlySet<string>): string | null {
  const trimmed = value.trim();
  return trimmed === '' || placeholders.has(trimmed) ? null : value;
}

function tags(value: string): string[] | null {
  if (value.trim() === NO_TAGS) return null;
  const list = value.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
  return list.length > 0 ? list : null;
}
