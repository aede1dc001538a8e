/**
 * Dead letters: a record that failed its schema or made a step throw goes to `<job>.dlq` with its
 * original key and value, and headers saying why and where it came from.
 */
import type { LogRecord, ProducerRecord } from '../log/log.ts';

export function deadLetterTopic(job: string): string {
  return `${job}.dlq`;
}

export function deadLetter(job: string, record: LogRecord, step: string, error: Error): ProducerRecord {
  const code = (error as { code?: unknown }).code;
  return {
    topic: deadLetterTopic(job),
    key: record.key,
    value: record.value,
    timestamp: record.timestamp,
    headers: {
      'tributary.error': Buffer.from(error.message),
      ...(typeof code === 'string' ? { 'tributary.error.code': Buffer.from(code) } : {}),
      'tributary.error.stack': Buffer.from(error.stack ?? ''),
      'tributary.step': Buffer.from(step),
      'tributary.source': Buffer.from(`${record.topic}/${record.partition}/${record.offset}`),
      ...record.headers,
    },
  };
}
