/**
 * A robots.txt parser following RFC 9309 (the Robots Exclusion Protocol).
 *
 * - Groups start with one or more `User-agent` lines; the crawler obeys the group(s) whose agent
 *   equals its product token (case-insensitive; all such groups combined), else the `*` group(s),
 *   else nothing restricts it.
 * - `Allow` / `Disallow` patterns match the path and query from their start; `*` matches any run of
 *   characters and a final `$` anchors the end. The longest matching pattern wins; on a tie `Allow`
 *   wins. An empty `Disallow` restricts nothing. `/robots.txt` itself is always allowed.
 * - `Crawl-delay` (not in the RFC, but widely used) is kept per group, in seconds.
 * - Only the first 512 KiB are read, as the RFC allows.
 */

export interface RobotsRules {
  isAllowed(pathAndQuery: string): boolean;
  /** Seconds between requests the site asks for, when it does. */
  readonly crawlDelaySeconds: number | undefined;
}

interface Rule {
  allow: boolean;
  pattern: string;
  regex: RegExp;
}

interface Group {
  agents: string[];
  rules: Rule[];
  crawlDelay?: number;
}

const MAX_BYTES = 512 * 1024;

/** The product token of a User-Agent header: `TributaryBot/1.0 (+url)` → `tributarybot`. */
export function productToken(userAgent: string): string {
  return (/^[A-Za-z_-]+/.exec(userAgent.trim())?.[0] ?? userAgent.trim()).toLowerCase();
}

export function parseRobots(text: string): Group[] {
  const groups: Group[] = [];
  let current: Group | undefined;
  let lastWasAgent = false;
  const body = Buffer.byteLength(text) > MAX_BYTES ? Buffer.from(text).subarray(0, MAX_BYTES).toString('utf8') : text;
  for (const rawLine of body.split(/\r\n|\r|\n/)) {
    const line = rawLine.replace(/#.*$/, '').trim();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const field = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (field === 'user-agent') {
      if (!current || !lastWasAgent) {
        current = { agents: [], rules: [] };
        groups.push(current);
      }
      current.agents.push(value.toLowerCase());
      lastWasAgent = true;
      continue;
    }
    lastWasAgent = false;
    // Rules before any User-agent line belong to no group (RFC 9309 §2.2.1).
    if (!current) continue;
    if (field === 'allow' || field === 'disallow') {
      if (value === '') continue;
      const pattern = normalise(value);
      current.rules.push({ allow: field === 'allow', pattern, regex: toRegex(pattern) });
    } else if (field === 'crawl-delay') {
      const seconds = Number(value);
      if (Number.isFinite(seconds) && seconds >= 0) current.crawlDelay = seconds;
    }
  }
  return groups;
}

/** The rules that apply to a crawler with this User-Agent. */
export function robotsRules(text: string, userAgent: string): RobotsRules {
  const groups = parseRobots(text);
  const token = productToken(userAgent);
  let chosen = groups.filter((group) => group.agents.includes(token));
  if (chosen.length === 0) chosen = groups.filter((group) => group.agents.includes('*'));
  const rules = chosen.flatMap((group) => group.rules);
  const delays = chosen.map((group) => group.crawlDelay).filter((delay) => delay !== undefined);
  return {
    crawlDelaySeconds: delays.length > 0 ? Math.max(...delays) : undefined,
    isAllowed(pathAndQuery) {
      const target = normalise(pathAndQuery === '' ? '/' : pathAndQuery);
      if (target === '/robots.txt') return true;
      let best: Rule | undefined;
      for (const rule of rules) {
        if (!rule.regex.test(target)) continue;
        if (!best || rule.pattern.length > best.pattern.length || (rule.pattern.length === best.pattern.length && rule.allow && !best.allow)) best = rule;
      }
      return best?.allow ?? true;
    },
  };
}

/** Allow everything: for a robots.txt that does not exist (4xx), as RFC 9309 §2.3.1.3 says. */
export const allowAll: RobotsRules = { crawlDelaySeconds: undefined, isAllowed: () => true };

/** Forbid everything: for a robots.txt that cannot be read (5xx, network), RFC 9309 §2.3.1.4. */
export const disallowAll: RobotsRules = { crawlDelaySeconds: undefined, isAllowed: (path) => normalise(path) === '/robots.txt' };

/** One spelling for equal URLs: upper-case percent escapes, non-ASCII percent-encoded as UTF-8. */
function normalise(value: string): string {
  return value
    .replace(/%[0-9a-fA-F]{2}/g, (escape) => escape.toUpperCase())
    .replace(/[^\x21-\x7e]/gu, (char) => encodeURIComponent(char));
}

function toRegex(pattern: string): RegExp {
  const anchored = pattern.endsWith('$');
  const body = (anchored ? pattern.slice(0, -1) : pattern)
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}${anchored ? '$' : ''}`);
}
