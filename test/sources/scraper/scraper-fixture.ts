/** A scraper over the Kijiji emulator, with fast test-friendly HTTP settings. */
import { onTestFinished } from 'vitest';
import { startKijijiServer, type KijijiServer, type KijijiServerOptions } from '../../../src/sources/emulators/kijiji-server.ts';
import { scraperConfigSchema } from '../../../src/sources/scraper/scraper-config.ts';
import { scraperSource } from '../../../src/sources/scraper/scraper.ts';
import type { Source, SourceContext } from '../../../src/sources/source.ts';

export async function kijiji(options: KijijiServerOptions = {}): Promise<KijijiServer> {
  const server = await startKijijiServer(options);
  onTestFinished(() => server.close());
  return server;
}

export function scraper(ctx: SourceContext, startUrl: string, config: Record<string, unknown> = {}): Source {
  const parsed = scraperConfigSchema.parse({
    name: 'kijiji',
    startUrl,
    topic: 'listings',
    userAgent: 'TributaryBot/0.1 (+https://example.org/tributary)',
    rateLimit: { requestsPerSecond: 200, burst: 10 },
    retry: { baseDelayMs: 10, maxDelayMs: 50 },
    ...config,
  });
  const source = scraperSource.create(parsed, ctx);
  onTestFinished(() => source.close());
  return source;
}
