/** Checks of what callers pass to a state store, shared by every backend. */
import { TributaryError } from '../errors.ts';

/**
 * Names must be strings, and well-formed: a lone surrogate would be stored as U+FFFD, and two
 * different keys could then collide.
 */
export function checkName(what: string, name: unknown): void {
  if (typeof name !== 'string' || !name.isWellFormed()) {
    throw new TributaryError('INTERNAL', `state: the ${what} must be a well-formed string, got ${typeof name === 'string' ? JSON.stringify(name) : typeof name}`);
  }
}

export function checkValue(key: string, value: unknown): void {
  if (!Buffer.isBuffer(value)) {
    throw new TributaryError('INTERNAL', `state: the value for key ${JSON.stringify(key)} must be a Buffer (or undefined to delete), got ${typeof value}`);
  }
}
