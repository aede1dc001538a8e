/**
 * Times in checkpoints. Watermarks start at -Infinity (nothing seen) and may be +Infinity (end of a
 * bounded input), which JSON would turn into `null` and lose the sign of; they are written as
 * strings instead.
 */
import { z } from 'zod';

export type JsonTime = number | '-Infinity' | 'Infinity';

export const jsonTimeSchema = z.union([z.number(), z.literal('-Infinity'), z.literal('Infinity')]);

export function encodeTime(time: number): JsonTime {
  if (time === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (time === Number.POSITIVE_INFINITY) return 'Infinity';
  return time;
}

export function decodeTime(time: JsonTime): number {
  if (time === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (time === 'Infinity') return Number.POSITIVE_INFINITY;
  return time;
}
