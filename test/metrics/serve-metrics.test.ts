import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { serveMetrics, type MetricsServer } from '../../src/metrics/serve-metrics.ts';
import { rejection } from '../support/errors.ts';

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

function registryWithOneCounter(): Registry {
  const registry = new Registry();
  new Counter({ name: 'tributary_test_things_total', help: 'Things counted by the test.', registers: [registry] }).inc(3);
  return registry;
}

async function start(options: Parameters<typeof serveMetrics>[1]): Promise<string> {
  const server = await serveMetrics(registryWithOneCounter(), options);
  servers.push(server);
  // Whatever the bind, the test reaches it over loopback.
  return `http://127.0.0.1:${new URL(server.url).port}`;
}

const KEY = 'metrics-key-of-24-chars!';

describe('serveMetrics', () => {
  it('should serve the registry on loopback without a key, even when one is configured', async () => {
    const base = await start({ host: '127.0.0.1', port: 0, apiKey: KEY });
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('tributary_test_things_total 3');
  });

  it('should answer 401 beyond loopback without the key or with a wrong one, on every path', async () => {
    const base = await start({ host: '0.0.0.0', port: 0, apiKey: KEY });
    for (const [path, headers] of [['/metrics', {}], ['/metrics', { authorization: 'Bearer wrong' }], ['/metrics', { 'x-api-key': 'wrong' }], ['/other', {}]] as const) {
      const response = await fetch(`${base}${path}`, { headers });
      expect(response.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.text()).not.toContain('tributary_test_things_total');
    }
  });

  it('should serve beyond loopback to a scraper presenting the key as a bearer token or as X-API-Key', async () => {
    const base = await start({ host: '0.0.0.0', port: 0, apiKey: KEY });
    for (const headers of [{ authorization: `Bearer ${KEY}` }, { 'x-api-key': KEY }]) {
      const response = await fetch(`${base}/metrics`, { headers });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('tributary_test_things_total 3');
    }
    expect((await fetch(`${base}/other`, { headers: { 'x-api-key': KEY } })).status).toBe(404);
  });

  it('should refuse to listen beyond loopback without a key', async () => {
    const error = await rejection(serveMetrics(registryWithOneCounter(), { host: '0.0.0.0', port: 0 }));
    expect(error.code).toBe('SERVER_LISTEN_FAILED');
    expect(error.message).toMatch(/not a loopback address, without an API key: set TRIBUTARY_SERVER_API_KEY/);
  });
});
