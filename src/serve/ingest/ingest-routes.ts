/**
 * The ingest API as a fastify plugin: `POST /ingest/<topic>` validates one JSON record or an NDJSON
 * batch against the topic's schema and appends it to the log; `GET /openapi.json` describes it.
 *
 * Guarantees: a request is all or nothing. Every record is checked before any is sent, so one bad
 * record means 400 and nothing of the batch written (more than `maxRecordsPerRequest` records: 413,
 * before any is parsed); checking a large batch yields to the event loop every few ms, so other
 * requests are answered meanwhile; the records of a good request go to the log in
 * one `send`, and 202 comes only once the log says they are durable, with each record's partition and
 * offset in request order. A request that fails after that point (the log is down: 503) may or may
 * not have been written; sending it again can duplicate it, which is why records carry their own ids.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Log, ProducerRecord } from '../../log/log.ts';
import { body } from '../server.ts';
import { buildOpenApi } from './openapi.ts';
import { parseBody } from './parse-body.ts';
import type { IngestTopic, TopicRegistry } from './topics.ts';

export interface IngestOptions extends Record<string, unknown> {
  log: Log;
  topics: TopicRegistry;
  /** Lists the API key schemes in the OpenAPI document. */
  apiKeyRequired?: boolean;
  /** For the OpenAPI document. */
  version?: string;
  /** More paths for the OpenAPI document (other route areas describe their own). */
  openApiPaths?: Record<string, unknown>;
  /** Most records one request may hold (`server.maxRecordsPerRequest`); more get 413. Default 10,000. */
  maxRecordsPerRequest?: number;
  /** After each request's records are durable: the topic and how many (for progress counters). */
  onAccepted?: (topic: string, records: number) => void;
}

const NDJSON = 'application/x-ndjson';
const DEFAULT_MAX_RECORDS = 10_000;

export const ingestRoutes: FastifyPluginAsync<IngestOptions> = (app: FastifyInstance, options) => {
  const producer = options.log.producer();
  const maxRecords = options.maxRecordsPerRequest ?? DEFAULT_MAX_RECORDS;
  app.addHook('onClose', async () => {
    await producer.close();
  });

  // Bodies reach the handler as text, so errors can name the line, and both types share one limit.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', NDJSON], { parseAs: 'string' }, (_request, text, done) => done(null, text));

  const openapi = buildOpenApi(options.topics, { apiKeyRequired: options.apiKeyRequired ?? false, version: options.version ?? '0.0.0', ...(options.openApiPaths ? { paths: options.openApiPaths } : {}) });
  app.get('/openapi.json', () => openapi);

  app.post<{ Params: { topic: string } }>('/ingest/:topic', async (request, reply) => {
    const name = request.params.topic;
    const topic = Object.hasOwn(options.topics, name) ? options.topics[name] : undefined;
    if (!topic) {
      const known = Object.keys(options.topics);
      return reply.code(404).send(body(404, 'TOPIC_NOT_FOUND', `the ingest API has no topic ${JSON.stringify(name)}; it accepts ${known.length > 0 ? known.join(', ') : 'none'}`));
    }
    const ndjson = (request.headers['content-type'] ?? '').toLowerCase().startsWith(NDJSON);
    const parsed = await parseBody(typeof request.body === 'string' ? request.body : '', ndjson, topic.schema, { maxRecords });
    if (!parsed.ok && parsed.reason === 'too-many-records') {
      return reply
        .code(413)
        .send(body(413, 'TOO_MANY_RECORDS', `this request holds more than ${parsed.maxRecords} records, the most one request may hold (server.maxRecordsPerRequest); send them in smaller batches; nothing was written`));
    }
    if (!parsed.ok) {
      const listed = parsed.omittedIssues === 0 ? '' : `; the first ${parsed.issues.length} problems are listed, ${parsed.omittedIssues} more are not`;
      return reply.code(400).send(
        body(400, 'SCHEMA_VALIDATION', `${parsed.invalidRecords} record${parsed.invalidRecords === 1 ? '' : 's'} of this request do not fit the schema of topic ${name}; nothing was written${listed}`, {
          errors: parsed.issues,
          errorsOmitted: parsed.omittedIssues,
        }),
      );
    }
    const positions = await producer.send(parsed.values.map((value) => toRecord(name, topic, value)));
    options.onAccepted?.(name, positions.length);
    return reply.code(202).send({ accepted: positions.length, offsets: positions.map((p) => ({ partition: p.partition, offset: p.offset })) });
  });
  return Promise.resolve();
};

function toRecord(name: string, topic: IngestTopic, value: unknown): ProducerRecord {
  const fields = value as Record<string, unknown>;
  const key = topic.keyField === undefined ? undefined : fields[topic.keyField];
  const time = topic.timeField === undefined ? undefined : fields[topic.timeField];
  const timestamp = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : NaN;
  return {
    topic: name,
    key: key === undefined || key === null ? null : Buffer.from(typeof key === 'string' ? key : JSON.stringify(key)),
    value: Buffer.from(JSON.stringify(value)),
    ...(Number.isFinite(timestamp) ? { timestamp } : {}),
  };
}
