import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cleanPin, followers } from '../clean-pin.ts';
import { PIN_TOPIC, pinRow, pinsTable, rawPinSchema, type CleanPin } from '../pins.ts';
import { Pipeline, type StepCounts } from '../../../src/stream/pipeline.ts';

const raw = readFileSync(new URL('../data/pins.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Record<string, unknown>);
const clean = raw.map((pin) => cleanPin(pin));
const byIndex = new Map(clean.map((pin) => [pin!.index, pin!]));

describe('the raw pin schema', () => {
  it('should accept all 200 real pins as they are', () => {
    expect(raw).toHaveLength(200);
    for (const pin of raw) expect(rawPinSchema.safeParse(pin).success, String(pin.index)).toBe(true);
  });
});

describe('cleanPin over the 200 real pins', () => {
  it.each([
    {
      index: 7528,
      why: 'every field an error placeholder',
      expected: { title: null, description: null, follower_count: null, tag_list: null, image_src: null, file_type: 'multi-video(story page format)', unique_id: 'fbe53c66-3442-4773-b19e-d3ec6f54dddf' },
    },
    {
      index: 2863,
      why: '"124k" followers and nine tags',
      expected: {
        follower_count: 124_000,
        title: '25 Super Fun Summer Crafts for Kids - Of Life and Lisa',
        tag_list: ['Summer Crafts For Kids', 'Fun Crafts For Kids', 'Summer Kids', 'Toddler Crafts', 'Crafts To Do', 'Diy For Kids', 'Summer Snow', 'Diys For Summer', 'Craft Ideas For Girls'],
        file_type: 'image',
        downloaded: 1,
        category: 'diy-and-crafts',
      },
    },
    { index: 5730, why: '"0" followers', expected: { follower_count: 0 } },
    { index: 5069, why: '"6M" followers', expected: { follower_count: 6_000_000, unique_id: 'b75b6f87-deb3-444f-b29e-ce9161b2df49' } },
    { index: 1313, why: 'the letter-by-letter "No Tags Available"', expected: { tag_list: null, follower_count: 43_000, file_type: 'video', title: 'Liquid Lash Extensions Mascara' } },
    { index: 9426, why: '"Image src error." and the Story format description', expected: { image_src: null, description: null, title: 'Tattoos🤍', follower_count: 2000, downloaded: 0 } },
    { index: 480, why: 'plain "No description available"', expected: { description: null, follower_count: 6000, title: 'Abstract Portrait' } },
  ])('pin $index ($why)', ({ index, expected }) => {
    expect(byIndex.get(index)).toMatchObject(expected);
  });

  it('should give the counts the sample data is known for', () => {
    const count = (predicate: (pin: CleanPin) => boolean) => clean.filter((pin) => predicate(pin!)).length;
    expect(count((p) => p.follower_count === null)).toBe(3);
    expect(raw.filter((p) => /k$/.test(p.follower_count as string)).every((p) => byIndex.get(p.index as number)!.follower_count! % 1000 === 0)).toBe(true);
    expect(count((p) => p.follower_count !== null && p.follower_count >= 1_000_000)).toBe(15);
    expect(count((p) => p.title === null)).toBe(3);
    expect(count((p) => p.description === null)).toBe(16);
    expect(count((p) => p.tag_list === null)).toBe(6);
    expect(count((p) => p.image_src === null)).toBe(4);
    expect(count((p) => p.unique_id === null)).toBe(0);
    expect(count((p) => p.file_type === 'image')).toBe(180);
    expect(count((p) => p.file_type === 'video')).toBe(7);
    expect(count((p) => p.file_type === 'multi-video(story page format)')).toBe(13);
    for (const pin of clean) {
      expect(pin).not.toHaveProperty('is_image_or_video');
      for (const tag of pin!.tag_list ?? []) expect(tag).toBe(tag.trim());
    }
  });
});

describe('cleaning edge cases', () => {
  it.each([
    ['10k', 10_000],
    ['1M', 1_000_000],
    ['0', 0],
    ['37', 37],
    ['1.5k', 1500],
    [' 12k ', 12_000],
    ['User Info Error', null],
    ['', null],
    ['10K', null],
    ['-5', null],
    ['1.5', null],
    ['1.2.3k', null],
    ['10 k', null],
    ['k', null],
  ])('follower_count %j → %j', (input, expected) => {
    expect(followers(input)).toBe(expected);
  });

  const base = raw[1]!;
  it('should null a unique_id that is not a UUID and keep one that is', () => {
    expect(cleanPin({ ...base, unique_id: 'not-a-uuid' })!.unique_id).toBeNull();
    expect(cleanPin({ ...base, unique_id: '' })!.unique_id).toBeNull();
    expect(cleanPin({ ...base, unique_id: 'FBE53C66-3442-4773-B19E-D3EC6F54DDDF' })!.unique_id).toBe('FBE53C66-3442-4773-B19E-D3EC6F54DDDF');
  });

  it('should split tags on commas, trimming and dropping empty ones', () => {
    expect(cleanPin({ ...base, tag_list: ' a, b ,,c ' })!.tag_list).toEqual(['a', 'b', 'c']);
    expect(cleanPin({ ...base, tag_list: '' })!.tag_list).toBeNull();
    expect(cleanPin({ ...base, tag_list: 'single' })!.tag_list).toEqual(['single']);
  });

  it('should null blank text fields and keep the timestamp the emulator adds', () => {
    const pin = cleanPin({ ...base, title: '  ', description: 'No description available Story format', timestamp: '2024-05-01T10:00:00.000Z' })!;
    expect(pin.title).toBeNull();
    expect(pin.description).toBeNull();
    expect(pin.timestamp).toBe('2024-05-01T10:00:00.000Z');
  });

  it('should return null for what is not a pin', () => {
    expect(cleanPin(null)).toBeNull();
    expect(cleanPin('pin')).toBeNull();
    expect(cleanPin({ ...base, index: 'seven' })).toBeNull();
    expect(cleanPin({ ...base, follower_count: 10 })).toBeNull();
  });
});

describe('as a stream step', () => {
  it('should run in a pipeline and give rows the view accepts', () => {
    const pipeline = Pipeline.from(PIN_TOPIC, rawPinSchema).map(cleanPin, 'clean-pin');
    const counts = new Map<string, StepCounts>();
    const ctx = { topic: PIN_TOPIC, partition: 0, offset: 0, timestamp: Date.UTC(2024, 0, 1), key: null };
    const outcome = pipeline.run(Buffer.from(JSON.stringify(raw[0])), ctx, counts);
    expect(outcome.kind).toBe('out');
    const pin = (outcome as { values: CleanPin[] }).values[0]!;
    const row = pinRow(pin, ctx);
    expect(Object.keys(row).every((column) => column in pinsTable.columns)).toBe(true);
    expect(row.event_time).toEqual(new Date(Date.UTC(2024, 0, 1)));
    expect(row.source).toBe(`${PIN_TOPIC}/0/0`);
    expect(pipeline.run(Buffer.from('{"title":1}'), ctx, counts).kind).toBe('dead-letter');
  });
});
