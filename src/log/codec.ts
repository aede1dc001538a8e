/**
 * Codecs turn a topic's values into bytes and back: raw bytes, or JSON optionally checked against a
 * zod schema on produce (a record that does not fit is refused with the topic, field path and value).
 */
import type { z } from 'zod';
import { TributaryError } from '../errors.ts';
import type { LogProducer, ProducerRecord, RecordPosition } from './log.ts';

export interface Codec<T> {
  readonly name: 'json' | 'raw';
  encode(value: T, topic: string): Buffer;
  decode(bytes: Buffer, topic: string): T;
}

export const rawCodec: Codec<Buffer> = {
  name: 'raw',
  encode: (value) => value,
  decode: (bytes) => bytes,
};

export function jsonCodec<S extends z.ZodType = z.ZodType<unknown>>(schema?: S): Codec<z.output<S>> {
  return {
    name: 'json',
    encode(value, topic) {
      if (schema) validate(schema, value, topic);
      return Buffer.from(JSON.stringify(value));
    },
    decode(bytes, topic) {
      try {
        return JSON.parse(bytes.toString('utf8')) as z.output<S>;
      } catch (error) {
        throw new TributaryError('SCHEMA_VALIDATION', `record of topic ${topic} is not valid JSON: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

/** Check a value against a topic's schema; throws SCHEMA_VALIDATION naming topic, field and value. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, topic: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(record)';
    const got = issue.path.reduce<unknown>((node, part) => (node as Record<PropertyKey, unknown> | undefined)?.[part], value);
    return `${field}: got ${describe(got)}, ${issue.message.replace(/^Invalid input: /, '')}`;
  });
  throw new TributaryError('SCHEMA_VALIDATION', `record for topic ${topic} does not fit its schema: ${problems.join('; ')}`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A topic with its codec, and how a value's key is found. */
export interface TopicSpec<T> {
  name: string;
  codec: Codec<T>;
  key?: (value: T) => string | Buffer | null;
}

/**
 * A producer of one topic's values: each is encoded (and, with a schema, checked) before anything is
 * sent, so a send with one bad value writes nothing.
 */
export function topicProducer<T>(producer: LogProducer, topic: TopicSpec<T>): { send(values: readonly T[]): Promise<RecordPosition[]> } {
  return {
    async send(values) {
      const records = values.map((value): ProducerRecord => {
        const key = topic.key?.(value) ?? null;
        return { topic: topic.name, key: typeof key === 'string' ? Buffer.from(key) : key, value: topic.codec.encode(value, topic.name) };
      });
      return await producer.send(records);
    },
  };
}
