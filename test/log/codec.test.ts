import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TributaryError } from '../../src/errors.ts';
import { jsonCodec, rawCodec } from '../../src/log/codec.ts';

const pin = z.object({ index: z.number().int(), category: z.string(), tags: z.array(z.string()) });

describe('jsonCodec', () => {
  it('should round-trip values that fit the schema', () => {
    const codec = jsonCodec(pin);
    const value = { index: 7528, category: 'mens-fashion', tags: ['a', 'é'] };
    expect(codec.decode(codec.encode(value, 'pins'), 'pins')).toEqual(value);
  });

  it('should refuse a value naming the topic, the field path and the value', () => {
    const codec = jsonCodec(pin);
    let error: unknown;
    try {
      codec.encode({ index: '7528', category: 'x', tags: ['a', 3] } as never, 'pins');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe('SCHEMA_VALIDATION');
    expect((error as TributaryError).message).toBe(
      'record for topic pins does not fit its schema: index: got "7528", expected number, received string; tags.1: got 3, expected string, received number',
    );
  });

  it('should say which topic held bytes that are not JSON', () => {
    expect(() => jsonCodec().decode(Buffer.from('{"a":'), 'clicks')).toThrow(/^record of topic clicks is not valid JSON/);
  });
});

describe('rawCodec', () => {
  it('should pass bytes through untouched', () => {
    const bytes = Buffer.from([0, 1, 255]);
    expect(rawCodec.decode(rawCodec.encode(bytes, 't'), 't')).toBe(bytes);
  });
});
