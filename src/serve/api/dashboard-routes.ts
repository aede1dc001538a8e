/**
 * The UI's dashboards, under `/api/ui/` behind the API key like every `/api/` route:
 *
 * - `GET /api/ui/dashboards`: `{ declared: [{ pipeline, name, title, charts }], saved: [{ name, title, charts, updated }] }`,
 *   the pipelines' declared dashboards and the users' saved ones;
 * - `PUT /api/ui/dashboards/:name` `{ title, charts }`: save one (insert or replace), answers it;
 * - `DELETE /api/ui/dashboards/:name`: `{ name, deleted: true }`, or 404 DASHBOARD_NOT_FOUND.
 *
 * A chart's data is its SELECT, run by the page through `POST /api/ui/sql`. The store opens on the
 * first request (in the metadata store's database) and closes with the server. A body that does
 * not fit answers 400 DASHBOARD_INVALID, naming the field.
 */
import type { FastifyPluginAsync } from 'fastify';
import { TributaryError } from '../../errors.ts';
import type { DashboardStore } from '../../metadata/dashboard-store.ts';
import type { DashboardChart } from '../../runtime/pipeline.ts';
import { fail } from './api-routes.ts';

export interface DeclaredDashboard {
  pipeline: string;
  name: string;
  title: string;
  charts: readonly DashboardChart[];
}

export interface DashboardRoutesOptions extends Record<string, unknown> {
  declared: () => DeclaredDashboard[];
  open: () => Promise<DashboardStore>;
}

export const dashboardRoutes: FastifyPluginAsync<DashboardRoutesOptions> = (app, options) => {
  let opening: Promise<DashboardStore> | undefined;
  const store = () => {
    opening ??= options.open().catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };
  app.addHook('onClose', async () => {
    if (opening) await (await opening.catch(() => undefined))?.close();
  });

  app.get('/api/ui/dashboards', async (_request, reply) => {
    try {
      return { declared: options.declared(), saved: await (await store()).list() };
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.put<{ Params: { name: string } }>('/api/ui/dashboards/:name', async (request, reply) => {
    try {
      const b = (request.body ?? {}) as Record<string, unknown>;
      if (typeof b !== 'object' || Array.isArray(b)) throw new TributaryError('DASHBOARD_INVALID', 'dashboard: expected a JSON object { title, charts }');
      return await (await store()).save({ ...(b as { title: string; charts: DashboardChart[] }), name: request.params.name });
    } catch (error) {
      return fail(reply, error);
    }
  });

  app.delete<{ Params: { name: string } }>('/api/ui/dashboards/:name', async (request, reply) => {
    try {
      if (!(await (await store()).remove(request.params.name))) throw new TributaryError('DASHBOARD_NOT_FOUND', `no saved dashboard ${request.params.name}`);
      return { name: request.params.name, deleted: true };
    } catch (error) {
      return fail(reply, error);
    }
  });
  return Promise.resolve();
};
