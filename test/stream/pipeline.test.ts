import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Pipeline, type RecordContext, type StepCounts } from '../../src/stream/pipeline.ts';

const ctx: RecordContext = { topic: 'pins', partition: 0, offset: 0, timestamp: 0, key: null };
const pin = z.object({ index: z.number(), follower_count: z.string(), tags: z.string() });
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

const pipeline = Pipeline.from('pins', pin)
  .filter((p) => p.follower_count !== 'User Info Error', 'drop-errors')
  .map((p) => ({ index: p.index, followers: Number(p.follower_count.replace('k', '000')) }), 'followers')
  .flatMap((p) => (p.followers > 0 ? [p, { ...p, copy: true }] : null), 'fan-out');

function run(values: unknown[]) {
  const counts = new Map<string, StepCounts>();
  const outcomes = values.map((v) => pipeline.run(v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : bytes(v), ctx, counts));
  return { outcomes, counts };
}

describe('Pipeline', () => {
  it('should run filter, map and flatMap in order and type the result', () => {
    const { outcomes } = run([{ index: 1, follower_count: '12k', tags: '' }]);
    expect(outcomes[0]).toEqual({ kind: 'out', values: [{ index: 1, followers: 12000 }, { index: 1, followers: 12000, copy: true }] });
  });

  it('should say which step filtered a record', () => {
    const { outcomes } = run([{ index: 2, follower_count: 'User Info Error', tags: '' }, { index: 3, follower_count: '0', tags: '' }]);
    expect(outcomes).toEqual([
      { kind: 'filtered', step: 'drop-errors' },
      { kind: 'filtered', step: 'fan-out' },
    ]);
  });

  it('should dead-letter records that do not fit the schema, are not JSON, or make a step throw', () => {
    const throwing = Pipeline.from('pins', pin).map(() => {
      throw new Error('boom');
    }, 'explode');
    const counts = new Map<string, StepCounts>();
    expect(throwing.run(bytes({ index: 1, follower_count: '1', tags: '' }), ctx, counts)).toMatchObject({ kind: 'dead-letter', step: 'explode', error: { message: 'boom' } });
    const { outcomes } = run([{ index: 'x', follower_count: '1', tags: '' }, '{not json', undefined]);
    expect(outcomes.map((o) => o.kind)).toEqual(['dead-letter', 'dead-letter', 'dead-letter']);
    expect(outcomes[0]).toMatchObject({ step: 'schema', error: { code: 'SCHEMA_VALIDATION', message: 'record for topic pins does not fit its schema: index: got "x", expected number, received string' } });
  });

  it('should count so that in = out + filtered + dead-lettered at every step', () => {
    const { counts } = run([
      { index: 1, follower_count: '5', tags: '' },
      { index: 2, follower_count: 'User Info Error', tags: '' },
      { index: 3, follower_count: '0', tags: '' },
      { bad: true },
    ]);
    for (const [step, c] of counts) expect(c.in, step).toBe(c.out + c.filtered + c.deadLettered);
    expect(Object.fromEntries(counts)).toEqual({
      schema: { in: 4, out: 3, filtered: 0, deadLettered: 1 },
      'drop-errors': { in: 3, out: 2, filtered: 1, deadLettered: 0 },
      followers: { in: 2, out: 2, filtered: 0, deadLettered: 0 },
      'fan-out': { in: 2, out: 1, filtered: 1, deadLettered: 0 },
    });
    expect(pipeline.stepNames).toEqual(['schema', 'drop-errors', 'followers', 'fan-out']);
  });
});
