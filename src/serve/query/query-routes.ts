/**
 * `GET /query/<view>?<param>=<value>...`: a merged view as JSON (view.ts, QueryResult), for the
 * server (server.ts, `serverPlugin(queryRoutes, { service })`). Unknown view: 404; parameters that do
 * not fit: 400 (both `{ statusCode, error, code, message }`); other errors go to the server's handler.
 */
import type { FastifyPluginAsync } from 'fastify';
import { isTributaryError } from '../../errors.ts';
import type { QueryService } from './query.ts';

export interface QueryRoutesOptions extends Record<string, unknown> {
  service: QueryService;
}

export const queryRoutes: FastifyPluginAsync<QueryRoutesOptions> = (app, { service }) => {
  app.get<{ Params: { view: string }; Querystring: Record<string, string> }>('/query/:view', async (request, reply) => {
    try {
      return await service.query(request.params.view, { ...request.query });
    } catch (error) {
      if (isTributaryError(error, 'VIEW_NOT_FOUND')) return reply.code(404).send({ statusCode: 404, error: 'Not Found', code: error.code, message: error.message });
      if (isTributaryError(error, 'QUERY_INVALID')) return reply.code(400).send({ statusCode: 400, error: 'Bad Request', code: error.code, message: error.message });
      throw error;
    }
  });
  app.get('/query', () => ({ views: service.views.map((v) => ({ name: v.name, description: v.description })) }));
  return Promise.resolve();
};
