/**
 * Dead letters of a source: an item that could not become a valid record goes to `<source>.dlq`
 * with the same headers a stream job's dead letters carry (see src/stream/dead-letter.ts), except
 * that `tributary.source` names the URL it came from rather than a log position.
 */
import type { ProducerRecord } from '../../log/log.ts';
import { deadLetterTopic } from '../../stream/dead-letter.ts';

export function sourceDeadLetter(source: string, item: { key?: string; value: unknown; url: string; step: string; error: Error }): ProducerRecord {
  const code = (item.error as { code?: unknown }).code;
  return {
    topic: deadLetterTopic(source),
    key: item.key === undefined ? null : Buffer.from(item.key),
    value: Buffer.from(typeof item.value === 'string' ? item.value : (JSON.stringify(item.value) ?? 'null')),
    headers: {
      'tributary.error': Buffer.from(item.error.message),
      ...(typeof code === 'string' ? { 'tributary.error.code': Buffer.from(code) } : {}),
      'tributary.step': Buffer.from(item.step),
      'tributary.source': Buffer.from(item.url),
    },
  };
}
