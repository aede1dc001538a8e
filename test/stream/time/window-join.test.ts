import { describe, expect, it } from 'vitest';
import { isTributaryError } from '../../../src/errors.ts';
import { windowJoin, type JoinInput } from '../../../src/stream/time/window-join.ts';
import { WindowOperator } from '../../../src/stream/time/window-operator.ts';
import { session, tumbling } from '../../../src/stream/time/windows.ts';

type Sides = { pin: { id: string }; geo: { country: string }; user: { name: string } };
type In = JoinInput<Sides>;

const pin = (id: string): In => ({ side: 'pin', value: { id } });
const geo = (country: string): In => ({ side: 'geo', value: { country } });
const user = (name: string): In => ({ side: 'user', value: { name } });

function operator(mode: 'inner' | 'left', gapMs = 10, allowedLatenessMs = 0) {
  return new WindowOperator(session(gapMs), windowJoin<Sides>({ sides: ['pin', 'geo', 'user'], primary: 'pin', mode }), { allowedLatenessMs });
}

describe('window join', () => {
  it('should join the three sides of a key that arrive within the gap, in any order', () => {
    const op = operator('inner');
    expect(op.process('7', 105, user('ann'))).toBe('accepted');
    expect(op.process('7', 100, pin('p7'))).toBe('accepted');
    expect(op.process('7', 103, geo('Chad'))).toBe('accepted');
    expect(op.process('8', 101, pin('p8'))).toBe('accepted');
    expect(op.advanceWatermark(114).map((r) => [r.key, r.result.unmatched])).toEqual([['8', 1]]);
    const [fired, ...rest] = op.advanceWatermark(115);
    expect(rest).toEqual([]);
    expect(fired).toMatchObject({ key: '7', window: { start: 100, end: 115 }, final: true });
    expect(fired!.result).toEqual({ rows: [{ pin: { id: 'p7' }, geo: { country: 'Chad' }, user: { name: 'ann' } }], sides: { pin: 1, geo: 1, user: 1 }, matched: 1, unmatched: 0 });
  });

  it('should emit no row for a key with a missing side in an inner join, and count the primary unmatched', () => {
    const op = operator('inner');
    op.process('8', 101, pin('p8'));
    op.process('8', 102, geo('Peru'));
    const [fired] = op.advanceWatermark(1000);
    expect(fired!.result).toEqual({ rows: [], sides: { pin: 1, geo: 1, user: 0 }, matched: 0, unmatched: 1 });
  });

  it('should emit the primary with nulls for a missing side in a left join', () => {
    const op = operator('left');
    op.process('8', 101, pin('p8'));
    op.process('8', 102, user('bo'));
    const [fired] = op.advanceWatermark(1000);
    expect(fired!.result).toEqual({ rows: [{ pin: { id: 'p8' }, geo: null, user: { name: 'bo' } }], sides: { pin: 1, geo: 0, user: 1 }, matched: 0, unmatched: 1 });
  });

  it('should emit nothing for a window that holds no primary record', () => {
    const op = operator('left');
    op.process('9', 100, geo('Fiji'));
    op.process('9', 100, user('cy'));
    const [fired] = op.advanceWatermark(1000);
    expect(fired!.result).toEqual({ rows: [], sides: { pin: 0, geo: 1, user: 1 }, matched: 0, unmatched: 0 });
  });

  it('should report a side that arrives after its window closed late, leaving the emitted join unchanged', () => {
    const op = operator('left');
    op.process('7', 100, pin('p7'));
    op.process('7', 101, geo('Chad'));
    const [fired] = op.advanceWatermark(200);
    expect(fired!.result.unmatched).toBe(1);
    // A user record from before the watermark: its session [95, 105) ended long ago.
    expect(op.process('7', 95, user('ann'))).toBe('late');
    expect(op.advanceWatermark(300)).toEqual([]);
    expect(op.stats().windows).toBe(0);
  });

  it('should join a side that arrives late but within the allowed lateness, as an update', () => {
    const op = operator('left', 10, 50);
    op.process('7', 100, pin('p7'));
    const [first] = op.advanceWatermark(120);
    expect(first).toMatchObject({ final: false, result: { rows: [{ pin: { id: 'p7' }, geo: null, user: null }], unmatched: 1 } });
    expect(op.process('7', 104, geo('Chad'))).toBe('accepted');
    expect(op.process('7', 106, user('ann'))).toBe('accepted');
    const [update] = op.advanceWatermark(121);
    expect(update).toMatchObject({ final: false, window: { start: 100, end: 116 }, result: { matched: 1, unmatched: 0 } });
    const [last] = op.advanceWatermark(166);
    expect(last).toMatchObject({ final: true, result: { rows: [{ pin: { id: 'p7' }, geo: { country: 'Chad' }, user: { name: 'ann' } }] } });
  });

  it('should release a window’s records once the watermark passes its end plus the allowed lateness', () => {
    const op = operator('inner', 10, 20);
    for (let key = 0; key < 50; key++) {
      op.process(String(key), key * 100, pin(`p${key}`));
      op.process(String(key), key * 100 + 1, geo('Chad'));
    }
    expect(op.stats().windows).toBe(50);
    op.advanceWatermark(2000 + 11 + 20);
    expect(op.stats().windows).toBe(29);
    const finals = op.advanceWatermark(1_000_000).filter((r) => r.final);
    expect(finals).toHaveLength(29);
    expect(op.stats()).toEqual({ keys: 0, windows: 0, timers: 0 });
  });

  it('should join every combination when a side has several records in the window', () => {
    const op = new WindowOperator(tumbling(100), windowJoin<Sides>({ sides: ['pin', 'geo', 'user'], primary: 'pin' }));
    op.process('k', 1, pin('a'));
    op.process('k', 2, pin('b'));
    op.process('k', 3, geo('X'));
    op.process('k', 4, geo('Y'));
    op.process('k', 5, user('u'));
    const [fired] = op.advanceWatermark(100);
    expect(fired!.result.rows.map((r) => `${r.pin!.id}${r.geo!.country}`)).toEqual(['aX', 'aY', 'bX', 'bY']);
    expect(fired!.result).toMatchObject({ sides: { pin: 2, geo: 2, user: 1 }, matched: 2, unmatched: 0 });
  });

  it('should merge two sessions that a record bridges into one join', () => {
    const op = operator('inner', 10);
    op.process('7', 100, pin('p7'));
    op.process('7', 120, user('ann'));
    op.process('7', 110, geo('Chad'));
    const [fired] = op.advanceWatermark(1000);
    expect(fired!.window).toEqual({ start: 100, end: 130 });
    expect(fired!.result.matched).toBe(1);
  });

  it('should continue from a snapshot with the same joins as the original', () => {
    const original = operator('left');
    original.process('7', 100, pin('p7'));
    original.process('7', 101, geo('Chad'));
    const restored = WindowOperator.restore(JSON.parse(JSON.stringify(original.snapshot())), session(10), windowJoin<Sides>({ sides: ['pin', 'geo', 'user'], primary: 'pin', mode: 'left' }));
    for (const op of [original, restored]) op.process('7', 102, user('ann'));
    expect(restored.advanceWatermark(500)).toEqual(original.advanceWatermark(500));
  });

  it('should refuse a record of a side it does not know, and a bad declaration', () => {
    const op = operator('inner');
    expect(() => op.process('7', 100, { side: 'board', value: {} } as unknown as In)).toThrow(/side "board", which is not one of pin, geo, user/);
    const bad = [
      () => windowJoin<Sides>({ sides: ['pin'], primary: 'pin' }),
      () => windowJoin<Sides>({ sides: ['pin', 'pin'], primary: 'pin' }),
      () => windowJoin<Sides>({ sides: ['geo', 'user'], primary: 'pin' }),
    ];
    for (const declare of bad) {
      try {
        declare();
        expect.unreachable('a bad join declaration should throw');
      } catch (error) {
        expect(isTributaryError(error) && error.code).toBe('CONFIG_INVALID');
      }
    }
  });

  it('should count a repeated record of a side once when the join knows records by identity', () => {
    const join = windowJoin<Sides>({ sides: ['pin', 'geo', 'user'], primary: 'pin', identity: (side, value) => `${side}:${JSON.stringify(value)}` });
    const op = new WindowOperator(session(10), join);
    op.process('7', 100, pin('p7'));
    op.process('7', 100, pin('p7'));
    op.process('7', 101, geo('Chad'));
    op.process('7', 102, user('ann'));
    op.process('7', 112, geo('Chad'));
    const [fired] = op.advanceWatermark(1000);
    expect(fired!.result).toEqual({ rows: [{ pin: { id: 'p7' }, geo: { country: 'Chad' }, user: { name: 'ann' } }], sides: { pin: 1, geo: 1, user: 1 }, matched: 1, unmatched: 0 });
    // Without identities, the repeats join beside the originals.
    const plain = operator('inner');
    for (const input of [pin('p7'), pin('p7'), geo('Chad'), user('ann')]) plain.process('7', 100, input);
    expect(plain.advanceWatermark(1000)[0]!.result).toMatchObject({ sides: { pin: 2, geo: 1, user: 1 }, matched: 2 });
  });
});
