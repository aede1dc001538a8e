/**
 * An ad's fingerprint: SHA-512 of the stable JSON (keys sorted, safe-stable-stringify) of
 * `{ id, price }`. Only what makes an ad "changed" for consumers goes in: a new price is an update;
 * a reworded description or a new photo is not.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import type { Price } from './price.ts';

export function listingFingerprint(id: string, price: Price): string {
  const text = stringify({ id, price: { cents: price.cents, kind: price.kind } });
  return createHash('sha512').update(text ?? '').digest('base64');
}
