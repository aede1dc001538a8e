/**
 * The topics the ingest API accepts: each with the zod schema its records must fit and the fields
 * that give a record its key and its event time. A registry is a plain object passed to the ingest
 * plugin; a topic that is not in it gets 404.
 */
import type { z } from 'zod';

export interface IngestTopic {
  /** Every record must fit it; what the schema outputs (defaults filled, unknown keys stripped) is written. */
  schema: z.ZodType;
  /** Top-level field whose value is the record's key (and so picks its partition); without it, no key. */
  keyField?: string;
  /** Top-level field with the event time (ISO 8601 string or ms since the epoch); without it, the append time. */
  timeField?: string;
  /** One line for the OpenAPI document. */
  description?: string;
}

export type TopicRegistry = Readonly<Record<string, IngestTopic>>;
