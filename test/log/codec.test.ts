import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TributaryError } from '../../src/errors.ts';
import { jsonCodec, rawCodec, topicProducer } from '../../src/log/codec.ts';
import { openEmbeddedLog } from '../../src/log/embedded/embedded-log.ts';
import { tempDir } from '../support/cli.ts';
import { rejection } from '../support/errors.ts';

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

describe('topicProducer', () => {
  it('should check every value against the schema before sending any', async () => {
    const dir = await tempDir();
    const log = await openEmbeddedLog({ dir });
    const pins = topicProducer(log.producer(), { name: 'pins', codec: jsonCodec(pin), key: (p) => String(p.index) });
    await pins.send([{ index: 1, category: 'a', tags: [] }]);
    const error = await rejection(pins.send([{ index: 2, category: 'b', tags: [] }, { index: 3, category: 4, tags: [] } as never]), 'SCHEMA_VALIDATION');
    expect(error.message).toBe('record for topic pins does not fit its schema: category: got 4, expected string, received number');
    const { partitions } = await log.admin().describeTopic('pins');
    expect(partitions.reduce((n, p) => n + p.endOffset, 0)).toBe(1);
    await log.close();
  });
});
