/**
 * Fetching and caching robots.txt per origin, with RFC 9309's answers for the failure cases: a 4xx
 * means no rules (allow all), a 5xx or an unreachable server means "assume everything disallowed"
 * until the next try. Rules are kept for `ttlMs` (RFC 9309 suggests no more than 24 hours).
 */
import type { Logger } from '../../logger.ts';
import type { HttpClient } from './http-client.ts';
import { allowAll, disallowAll, robotsRules, type RobotsRules } from './robots.ts';

export interface RobotsPolicy {
  /** The rules for the URL's origin, fetched on first use and after the TTL. */
  rulesFor(url: URL, signal?: AbortSignal): Promise<RobotsRules>;
}

export function createRobotsPolicy(client: HttpClient, userAgent: string, options: { ttlMs: number; logger?: Logger }): RobotsPolicy {
  const cache = new Map<string, { rules: RobotsRules; fetchedAt: number }>();
  return {
    async rulesFor(url, signal) {
      const cached = cache.get(url.origin);
      if (cached && Date.now() - cached.fetchedAt < options.ttlMs) return cached.rules;
      const robotsUrl = `${url.origin}/robots.txt`;
      let rules: RobotsRules;
      try {
        const response = await client.get(robotsUrl, { signal, accept: 'text/plain', acceptStatus: (status) => status >= 400 && status < 500 });
        rules = response.status >= 400 ? allowAll : robotsRules(response.body, userAgent);
      } catch (error) {
        if (signal?.aborted) throw error;
        options.logger?.warn({ err: error, url: robotsUrl }, `${robotsUrl} could not be read: treating every path as disallowed (RFC 9309)`);
        // Not cached: the next crawl asks again.
        return disallowAll;
      }
      cache.set(url.origin, { rules, fetchedAt: Date.now() });
      return rules;
    },
  };
}
