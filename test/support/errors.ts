/** Asserting on the TributaryError a promise rejects with. */
import { expect } from 'vitest';
import { TributaryError, type ErrorCode } from '../../src/errors.ts';

export async function rejection(promise: Promise<unknown>, code?: ErrorCode): Promise<TributaryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TributaryError);
  if (code) expect((error as TributaryError).code).toBe(code);
  return error as TributaryError;
}
