/** The check every fault scenario ends with: the sink against the log, nothing lost, nothing twice. */
import { expect } from 'vitest';
import { duplicates, expectedIds } from './pins.ts';

export interface SinkAgainstLog {
  /** Values of every record in the input topic. */
  logValues: readonly unknown[];
  /** Ids the sink table holds, one per row. */
  sinkIds: readonly string[];
  /** Ids whose append was acknowledged to a producer: each must be in the log. */
  acknowledged: readonly string[];
}

export function expectSinkMatchesLog({ logValues, sinkIds, acknowledged }: SinkAgainstLog): void {
  const logIds = logValues.map((v) => (v as { unique_id: string }).unique_id);
  expect(duplicates(logIds), 'ids appended to the log twice').toEqual([]);
  const inLog = new Set(logIds);
  expect(acknowledged.filter((id) => !inLog.has(id)), 'acknowledged ids missing from the log').toEqual([]);
  expect(duplicates(sinkIds), 'ids in the sink twice').toEqual([]);
  const expected = expectedIds(logValues);
  expect(sinkIds.length, 'sink rows = pins the job keeps of the log').toBe(expected.length);
  expect([...sinkIds].sort()).toEqual([...expected].sort());
}
