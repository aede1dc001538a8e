import { describe, expect, it } from 'vitest';
import { cleanGeo, cleanPin, cleanUser, followers } from '../clean.ts';
import { geoFor, loadPins, pinFor, userFor } from '../emulator.ts';

describe('the AiCore cleaning rules', () => {
  it('should turn follower counts into numbers and anything else into null', () => {
    expect(['124k', '6M', '37', '1.5k', 'User Info Error', ''].map(followers)).toEqual([124_000, 6_000_000, 37, 1500, null, null]);
  });

  it('should clean a pin: placeholders to null, the file type renamed, the save location without its prefix', () => {
    const [first] = loadPins();
    expect(cleanPin({ ...first!, title: 'No Title Data Available', follower_count: '3k', save_location: 'Local save in /data/mens-fashion' })).toEqual({
      ind: first!.index,
      unique_id: first!.unique_id,
      category: first!.category,
      title: null,
      follower_count: 3000,
      file_type: first!.is_image_or_video,
      downloaded: first!.downloaded,
      save_location: '/data/mens-fashion',
    });
  });

  it('should clean a geolocation and a user into the curriculum shapes', () => {
    expect(cleanGeo({ ind: 7528, timestamp: '2020-08-28 03:52:47', latitude: -89.9787, longitude: -173.293, country: 'Albania' })).toEqual({
      ind: 7528,
      posted_at: '2020-08-28T03:52:47.000Z',
      coordinates: [-89.9787, -173.293],
      country: 'Albania',
    });
    expect(cleanUser({ ind: 7528, first_name: 'Abigail', last_name: 'Ali', age: 20, date_joined: '2015-10-24 11:23:51' })).toEqual({
      ind: 7528,
      user_name: 'Abigail Ali',
      age: 20,
      date_joined: '2015-10-24T11:23:51.000Z',
    });
  });

  it('should clean a record that is not of its topic to null', () => {
    expect(cleanPin({ not: 'a pin' })).toBeNull();
    expect(cleanGeo({ ind: 1, timestamp: 'yesterday', latitude: 0, longitude: 0, country: 'x' })).toBeNull();
    expect(cleanUser(null)).toBeNull();
  });
});

describe('the AiCore poster', () => {
  it('should load all 200 sample pins and give each event one ind and one emitted_at across its three records', () => {
    const pins = loadPins();
    expect(pins).toHaveLength(200);
    const at = '2026-12-02T15:00:00.000Z';
    const [pin, geo, user] = [pinFor(201, pins, at), geoFor(201, at), userFor(201, at)];
    expect([pin.index, geo.ind, user.ind]).toEqual([201, 201, 201]);
    expect([pin.emitted_at, geo.emitted_at, user.emitted_at]).toEqual([at, at, at]);
    expect(pin.category).toBe(pins[1]!.category);
    // Generated from ind alone: the same event always gets the same geolocation and user.
    expect(geoFor(201)).toEqual(geoFor(201));
    expect(userFor(201)).toEqual(userFor(201));
    expect(cleanGeo(geo)).not.toBeNull();
    expect(cleanUser(user)).not.toBeNull();
    const years = new Set(Array.from({ length: 500 }, (_, i) => geoFor(i).timestamp.slice(0, 4)));
    expect([...years].sort()).toEqual(['2018', '2019', '2020', '2021', '2022']);
    const ages = Array.from({ length: 500 }, (_, i) => userFor(i).age);
    expect(Math.min(...ages)).toBeGreaterThanOrEqual(18);
    expect(Math.max(...ages)).toBeLessThanOrEqual(65);
  });
});
