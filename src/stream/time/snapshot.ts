/**
 * Reading checkpoints back. A snapshot is plain JSON that went through storage, so it is checked
 * against its schema once, at restore, and never trusted field by field afterwards.
 */
import type { z } from 'zod';
import { TributaryError } from '../../errors.ts';

/**
 * Throws CHECKPOINT_INVALID naming each bad path: a checkpoint that does not fit was written by something
 * other than the matching `snapshot()`, or damaged on the way, and guessing would corrupt state.
 */
export function parseSnapshot<S extends z.ZodType>(schema: S, snapshot: unknown, what: string): z.output<S> {
  const result = schema.safeParse(snapshot);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  throw new TributaryError('CHECKPOINT_INVALID', `${what} snapshot does not fit its schema: ${problems.join('; ')}`);
}
