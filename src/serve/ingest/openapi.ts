/**
 * The ingest API's OpenAPI 3.1 document, generated from the topic schemas (zod's JSON Schema
 * output, draft 2020-12, which OpenAPI 3.1 uses as is). Each topic is one path and one component
 * schema named after the topic; what a schema cannot express in JSON Schema (a refinement, a
 * transform) is left open in the document and still enforced by the API.
 */
import { z } from 'zod';
import type { TopicRegistry } from './topics.ts';

export interface OpenApiOptions {
  apiKeyRequired: boolean;
  version: string;
  /** Paths of other route areas (the UI's `/api/ui/`), added as given. */
  paths?: Record<string, unknown>;
}

type Json = Record<string, unknown>;

const error = (description: string): Json => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

export function buildOpenApi(topics: TopicRegistry, options: OpenApiOptions): Json {
  const schemas: Json = {
    Accepted: {
      type: 'object',
      required: ['accepted', 'offsets'],
      properties: {
        accepted: { type: 'integer', description: 'Records written.' },
        offsets: {
          type: 'array',
          description: 'Where each record went, in request order.',
          items: { type: 'object', required: ['partition', 'offset'], properties: { partition: { type: 'integer' }, offset: { type: 'integer' } } },
        },
      },
    },
    Error: {
      type: 'object',
      required: ['statusCode', 'error', 'code', 'message'],
      properties: {
        statusCode: { type: 'integer' },
        error: { type: 'string' },
        code: { type: 'string' },
        message: { type: 'string' },
        errors: {
          type: 'array',
          description: 'With 400: the first 100 problems, by record index (from 0), NDJSON line (from 1) and field path.',
          items: {
            type: 'object',
            required: ['index', 'path', 'message'],
            properties: { index: { type: 'integer' }, line: { type: 'integer' }, path: { type: 'string' }, message: { type: 'string' } },
          },
        },
        errorsOmitted: { type: 'integer', description: 'With 400: how many problems there are beyond those listed in errors.' },
      },
    },
  };
  const paths: Json = {
    '/health': { get: { operationId: 'health', summary: 'Liveness', security: [], responses: { '200': { description: 'The server is up.' } } } },
  };
  for (const [name, topic] of Object.entries(topics)) {
    const { $schema: _dialect, ...schema } = z.toJSONSchema(topic.schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
    schemas[name] = schema;
    const ref = { $ref: `#/components/schemas/${name}` };
    paths[`/ingest/${name}`] = {
      post: {
        operationId: `ingest_${name.replace(/[^A-Za-z0-9_]/g, '_')}`,
        summary: topic.description ?? `Append records to topic ${name}`,
        description: 'One record as application/json, or several as application/x-ndjson (one per line). All or nothing: one invalid record and nothing is written.',
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: ref },
            'application/x-ndjson': { schema: ref, description: 'Each non-blank line is one record of this schema.' },
          },
        },
        responses: {
          '202': { description: 'Written and durable.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } } },
          '400': error('A record does not fit the schema, or is not JSON; nothing was written.'),
          ...(options.apiKeyRequired ? { '401': error('No API key, or a wrong one.') } : {}),
          '413': error('The body is larger than server.bodyLimitBytes, or holds more records than server.maxRecordsPerRequest (code TOO_MANY_RECORDS).'),
          '415': error('Another content type than application/json or application/x-ndjson.'),
          '429': error('Over the rate limit; see the Retry-After header.'),
          '503': error('The log is unavailable; the request may or may not have been written.'),
          '507': error('The embedded log\'s file system is full (code LOG_DISK_FULL); as with 503, the request may have been written in part. Retry once space is freed.'),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Tributary ingest API', version: options.version },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths: { ...paths, ...options.paths },
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <server.apiKey>' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
    security: options.apiKeyRequired ? [{ bearer: [] }, { apiKey: [] }] : [],
  };
}
