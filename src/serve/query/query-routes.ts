/**
 * `GET /query/<view>?<param>=<value>...[&asOf=<snapshot|time>]`: a merged view as JSON (view.ts, QueryResult), for the
 * server (server.ts, `serverPlugin(queryRoutes, { service })`). Unknown view: 404; parameters that do
 * not fit, or an `asOf` that is not a snapshot id or time: 400; no such snapshot: 404 (all `{ statusCode, error, code, message }`); other errors go to the server's handler.
 */
import type { FastifyPluginAsync } from 'fastify';
import { isTributaryError, TributaryError } from '../../errors.ts';
import { parseAsOf } from '../../lake/tables/as-of.ts';
import type { AsOf } from '../../lake/tables/tables.ts';
import type { QueryService } from './query.ts';

export interface QueryRoutesOptions extends Record<string, unknown> {
  service: QueryService;
}

function asOfParam(text: string): AsOf {
  try {
    return parseAsOf(text);
  } catch {
    throw new TributaryError('QUERY_INVALID', `parameter "asOf": expected a snapshot id (a whole number) or a time (ISO 8601, e.g. 2026-11-21T10:00:00Z); got "${text}"`);
  }
}

export const queryRoutes: FastifyPluginAsync<QueryRoutesOptions> = (app, { service }) => {
  app.get<{ Params: { view: string }; Querystring: Record<string, string> }>('/query/:view', async (request, reply) => {
    try {
      const { asOf, ...params } = request.query;
      return await service.query(request.params.view, params, asOf === undefined ? {} : { asOf: asOfParam(asOf) });
    } catch (error) {
      if (isTributaryError(error, 'VIEW_NOT_FOUND')) return reply.code(404).send({ statusCode: 404, error: 'Not Found', code: error.code, message: error.message });
      if (isTributaryError(error, 'LAKE_NOT_FOUND')) return reply.code(404).send({ statusCode: 404, error: 'Not Found', code: error.code, message: error.message });
      if (isTributaryError(error, 'QUERY_INVALID')) return reply.code(400).send({ statusCode: 400, error: 'Bad Request', code: error.code, message: error.message });
      throw error;
    }
  });
  app.get('/query', () => ({ views: service.views.map((v) => ({ name: v.name, description: v.description })) }));
  return Promise.resolve();
};
