import { rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Counter, Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { endpoint, uniqueName } from '../support/services.ts';

interface QueryResponse {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

describe('Prometheus smoke test', () => {
  const prometheus = endpoint('TRIBUTARY_PROMETHEUS_URL');
  const targetsDir = endpoint('TRIBUTARY_PROMETHEUS_TARGETS_DIR');
  const run = uniqueName('smoke');
  const targetsFile = path.join(targetsDir, `${run}.json`);
  let server: Server | undefined;
  afterAll(async () => {
    await rm(targetsFile, { force: true });
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  it('should scrape a /metrics endpoint and answer a query with its value', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'tributary_smoke_records_total', help: 'records seen by the smoke test', labelNames: ['run'], registers: [registry] });
    counter.inc({ run }, 4242);
    server = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // Prometheus watches this directory (file-based service discovery) and starts scraping at once;
    // the rename makes the file appear whole.
    await writeFile(`${targetsFile}.tmp`, JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { source: 'smoke' } }]));
    await rename(`${targetsFile}.tmp`, targetsFile);

    const query = `tributary_smoke_records_total{run="${run}"}`;
    const deadline = Date.now() + 60_000;
    let result: QueryResponse['data']['result'] = [];
    while (Date.now() < deadline) {
      const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await response.json()) as QueryResponse;
      expect(body.status).toBe('success');
      result = body.data.result;
      if (result.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(result).toHaveLength(1);
    expect(result[0]?.value[1]).toBe('4242');
    expect(result[0]?.metric).toMatchObject({ run, source: 'smoke', job: 'tributary' });
  });
});
