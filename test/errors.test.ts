import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { TributaryError, errorCodes, isTributaryError } from '../src/errors.ts';

describe('error codes', () => {
  it('should document every code in docs/errors.md, and document no code that does not exist', async () => {
    const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(errorCodes).sort());
  });

  it('should document the retryable flag and exit status each code has', async () => {
    const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
    for (const [code, { retryable, exitCode }] of Object.entries(errorCodes)) {
      expect(doc, code).toMatch(new RegExp(`^\\| \`${code}\` \\| ${retryable ? 'yes' : 'no'} \\| ${exitCode} \\|`, 'm'));
    }
  });

  it('should keep the cause and take retryable from the code unless overridden', () => {
    const cause = new Error('boom');
    const error = new TributaryError('CONFIG_FILE_UNREADABLE', 'cannot read', { cause });
    expect(error.cause).toBe(cause);
    expect(error.retryable).toBe(false);
    expect(new TributaryError('INTERNAL', 'x', { retryable: true }).retryable).toBe(true);
    expect(isTributaryError(error, 'CONFIG_FILE_UNREADABLE')).toBe(true);
    expect(isTributaryError(error, 'CONFIG_INVALID')).toBe(false);
    expect(isTributaryError(cause)).toBe(false);
  });
});
