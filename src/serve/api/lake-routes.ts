/**
 * The Lake page's routes, under `/api/ui/lake/` behind the API key like every `/api/` route, all
 * read-only (lake-browser.ts):
 *
 * - `GET /api/ui/lake`: `{ current, zones: [{ zone, tables: [{ name, rows, files, bytes, snapshots, lastChanged }] }] }`;
 * - `GET /api/ui/lake/:zone/:table?snapshot=S`: the table at snapshot S (default the newest): schema,
 *   partitioning and partitions, data files with their sizes, and the snapshots that touched it;
 * - `GET /api/ui/lake/:zone/:table/rows?snapshot=S&limit=N`: at most 100 of its rows at that snapshot.
 *
 * The page learns of a new snapshot from the UI's live samples (`lakeSnapshot` in ui-history.ts).
 * Errors answer `{ statusCode, error, code, message }`: LAKE_NOT_FOUND 404 (naming the table or
 * snapshot), CLI_USAGE 400 (a bad zone, snapshot or limit), LAKE_UNAVAILABLE 503.
 */
import type { FastifyPluginAsync } from 'fastify';
import { TributaryError } from '../../errors.ts';
import { fail } from './api-routes.ts';
import { checkSnapshot, type LakeBrowser } from './lake-browser.ts';

export interface LakeRoutesOptions extends Record<string, unknown> {
  lake: LakeBrowser;
}

type TableRequest = { Params: { zone: string; table: string }; Querystring: { snapshot?: string; limit?: string } };

export const lakeRoutes: FastifyPluginAsync<LakeRoutesOptions> = (app, { lake }) => {
  app.get('/api/ui/lake', async (_request, reply) => {
    try {
      return await lake.overview();
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.get<TableRequest>('/api/ui/lake/:zone/:table', async (request, reply) => {
    try {
      return await lake.table(request.params.zone, request.params.table, checkSnapshot(request.query.snapshot));
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.get<TableRequest>('/api/ui/lake/:zone/:table/rows', async (request, reply) => {
    try {
      const { limit } = request.query;
      if (limit !== undefined && !/^\d+$/.test(limit)) throw new TributaryError('CLI_USAGE', `limit: expected a whole number from 1 to 100, got "${limit}"`);
      const snapshot = checkSnapshot(request.query.snapshot);
      return await lake.rows(request.params.zone, request.params.table, { ...(snapshot === undefined ? {} : { snapshot }), ...(limit === undefined ? {} : { limit: Number(limit) }) });
    } catch (error) {
      return fail(reply, error);
    }
  });
  return Promise.resolve();
};
