import { describe, expect, it } from 'vitest';
import { productToken, robotsRules } from '../../../src/sources/http/robots.ts';

const txt = `
# comment
User-agent: TributaryBot
User-agent: OtherBot
Disallow: /private/
Allow: /private/open-house
Disallow: /*.pdf$
Disallow: /search?*sort=
Crawl-delay: 2

User-agent: *
Disallow: /
Allow: /b-

User-agent: tributarybot  # a second group for the same agent is merged with the first
Disallow: /drafts
`;

describe('robots.txt rules', () => {
  it('should take the product token from a User-Agent', () => {
    expect(productToken('TributaryBot/0.1 (+https://example.org)')).toBe('tributarybot');
    expect(productToken('  Mozilla/5.0 (X11)')).toBe('mozilla');
  });

  it('should obey the groups naming our product token, merged, case-insensitively', () => {
    const rules = robotsRules(txt, 'TributaryBot/1.0');
    expect(rules.isAllowed('/b-apartments')).toBe(true);
    expect(rules.isAllowed('/private/x')).toBe(false);
    expect(rules.isAllowed('/drafts/1')).toBe(false);
    expect(rules.crawlDelaySeconds).toBe(2);
  });

  it('should let the longest match win, and Allow win a tie', () => {
    const rules = robotsRules(txt, 'TributaryBot');
    expect(rules.isAllowed('/private/open-house/1')).toBe(true);
    const tie = robotsRules('User-agent: *\nDisallow: /a\nAllow: /a\n', 'x');
    expect(tie.isAllowed('/a/b')).toBe(true);
  });

  it('should support * wildcards and the $ end anchor', () => {
    const rules = robotsRules(txt, 'TributaryBot');
    expect(rules.isAllowed('/files/report.pdf')).toBe(false);
    expect(rules.isAllowed('/files/report.pdf?download=1')).toBe(true);
    expect(rules.isAllowed('/search?q=1&sort=date')).toBe(false);
    expect(rules.isAllowed('/search?q=1')).toBe(true);
  });

  it('should fall back to the * group for other agents', () => {
    const rules = robotsRules(txt, 'SomeCrawler/2');
    expect(rules.isAllowed('/b-apartments-condos/city-of-toronto/c37l1700273?page=2')).toBe(true);
    expect(rules.isAllowed('/v-apartments/123')).toBe(false);
    expect(rules.isAllowed('/robots.txt')).toBe(true);
    expect(rules.crawlDelaySeconds).toBeUndefined();
  });

  it('should allow everything when no group applies, and ignore empty Disallow and rules before any group', () => {
    expect(robotsRules('Disallow: /\nUser-agent: other\nDisallow: /', 'TributaryBot').isAllowed('/x')).toBe(true);
    expect(robotsRules('User-agent: *\nDisallow:\n', 'TributaryBot').isAllowed('/x')).toBe(true);
    expect(robotsRules('', 'TributaryBot').isAllowed('/x')).toBe(true);
  });

  it('should compare percent-encodings and non-ASCII paths in one spelling', () => {
    const rules = robotsRules('User-agent: *\nDisallow: /caf%c3%a9\nDisallow: /ünï\n', 'x');
    expect(rules.isAllowed('/caf%C3%A9/menu')).toBe(false);
    expect(rules.isAllowed('/%C3%BCn%C3%AF')).toBe(false);
    expect(rules.isAllowed('/cafe')).toBe(true);
  });

  it('should read CRLF files and comments after values', () => {
    const rules = robotsRules('User-agent: *\r\nDisallow: /x # not /y\r\n', 'a');
    expect(rules.isAllowed('/x')).toBe(false);
    expect(rules.isAllowed('/y')).toBe(true);
  });
});
