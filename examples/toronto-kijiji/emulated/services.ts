/**
 * The example's emulators as pipeline services: a CKAN portal publishing the generated evaluations
 * (ckan-server.ts) and a Kijiji search (kijiji-server.ts) over the generated page, whose prices change
 * over time. Each listens on 127.0.0.1, on a free port unless given one, and tells its endpoint where.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCkanEmulator, startKijijiServer, type ServiceDeclaration } from 'tributary';
import type { EmulatorEndpoint } from './emulator-endpoint.ts';
import { generateEvaluations } from './evaluations.ts';
import { generateListingsPage } from './listings-page.ts';
import { between, seeded } from './random.ts';

export const CKAN_PACKAGE = 'apartment-building-evaluation';

/** Until aborted: the promise of the signal's end. */
const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));

export function ckanEmulatorService(endpoint: EmulatorEndpoint, port?: number): ServiceDeclaration {
  return {
    name: 'toronto-ckan-emulator',
    description: `a CKAN portal on 127.0.0.1 publishing ${CKAN_PACKAGE} (generated evaluations)`,
    async run(ctx, signal) {
      const dir = await mkdtemp(path.join(tmpdir(), 'toronto-ckan-'));
      const file = path.join(dir, 'apartment-building-evaluations-2017-2022.csv');
      await writeFile(file, generateEvaluations().csv);
      const ckan = await startCkanEmulator({ packageName: CKAN_PACKAGE, resources: [{ id: 'f0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b', name: 'Apartment Building Evaluations 2017 - 2022', file, format: 'CSV', hash: 'sha256' }], ...(port === undefined ? {} : { port }) });
      endpoint.set(ckan.baseUrl);
      ctx.logger.info({ url: ckan.baseUrl }, `CKAN emulator listening at ${ckan.baseUrl}`);
      try {
        await aborted(signal);
      } finally {
        endpoint.set(undefined);
        await ckan.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export interface KijijiEmulatorOptions {
  pages: number;
  /** How often some prices change. */
  repriceEveryMs: number;
  /** Ads re-priced each time. */
  repriceAds: number;
  /** Default: a free port. */
  port?: number;
}

export function kijijiEmulatorService(endpoint: EmulatorEndpoint, options: KijijiEmulatorOptions): ServiceDeclaration {
  return {
    name: 'kijiji-emulator',
    description: `a Kijiji search of ${options.pages} pages on 127.0.0.1 (generated ads); ${options.repriceAds} prices change every ${options.repriceEveryMs / 1000} s`,
    async run(ctx, signal) {
      const page = generateListingsPage();
      const server = await startKijijiServer({ html: page.html, pages: options.pages, ...(options.port === undefined ? {} : { port: options.port }) });
      endpoint.set(server.startUrl);
      ctx.logger.info({ url: server.startUrl }, `Kijiji emulator listening at ${server.startUrl}`);
      const random = seeded(37);
      // Only ads with a rent are re-priced; the others say "Please Contact". Page N's ids are N * 10^10 + page 1's.
      const contact = new Set(page.ads.filter((ad) => ad.cents === null).map((ad) => ad.id));
      const ids = Array.from({ length: options.pages }, (_, i) => server.listingIds(i + 1))
        .flat()
        .filter((id) => !contact.has(String(Number(id) % 1e10)));
      try {
        while (!signal.aborted) {
          await sleep(options.repriceEveryMs, undefined, { signal }).catch(() => undefined);
          if (signal.aborted) break;
          for (let n = 0; n < options.repriceAds; n++) {
            const id = ids[Math.floor(random() * ids.length)]!;
            // Landlords move prices by $25 steps, down more often than up.
            const step = between(random, -4, 2) * 2500;
            server.setPrice(id, Math.max(50_000, server.priceOf(id) + (step === 0 ? -2500 : step)));
          }
        }
      } finally {
        endpoint.set(undefined);
        await server.close();
      }
    },
  };
}
