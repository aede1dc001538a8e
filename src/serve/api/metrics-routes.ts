/**
 * The Metrics page's routes, under `/api/ui/metrics` behind the API key like every `/api/` route:
 *
 * - `GET /api/ui/metrics`: the last hour of the process's own metrics as derived series (rates,
 *   gauge values, histogram percentiles; metrics-history.ts), with `prometheusUrl` when
 *   `metrics.prometheusUrl` is configured;
 * - `GET /api/ui/metrics/events`: each new point of every derived series as it is taken, as
 *   server-sent events (`event: metrics`, data `{ at, values: { <series id>: n | null } }`).
 */
import type { FastifyPluginAsync } from 'fastify';
import { eventStreams } from './event-stream.ts';
import type { MetricsHistory } from './metrics-history.ts';

export interface MetricsRoutesOptions extends Record<string, unknown> {
  history: MetricsHistory;
  prometheusUrl?: string | undefined;
}

export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = (app, options) => {
  const streams = eventStreams();
  app.addHook('preClose', (done) => {
    streams.closeAll();
    done();
  });
  app.get('/api/ui/metrics', () => ({ ...options.history.view(), ...(options.prometheusUrl ? { prometheusUrl: options.prometheusUrl } : {}) }));
  app.get('/api/ui/metrics/events', (request, reply) => streams.open(request, reply, (send) => options.history.subscribe((point) => send('metrics', point))));
  return Promise.resolve();
};
