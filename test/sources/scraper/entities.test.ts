import { describe, expect, it } from 'vitest';
import { decodeEntities } from '../../../src/sources/scraper/entities.ts';

describe('decodeEntities', () => {
  it.each([
    ['Main &amp; 2nd Floor', 'Main & 2nd Floor'],
    ['Tenant&apos;s choice', "Tenant's choice"],
    ['&quot;Bright&quot; unit', '"Bright" unit'],
    ['&#39;quoted&#x27;', "'quoted'"],
    ['Caf&eacute; &agrave; c&ocirc;t&eacute;', 'Café à côté'],
    ['2 &lt; 3 &gt; 1', '2 < 3 > 1'],
    ['a&nbsp;b', 'a\u00a0b'],
    ['&amp;amp;', '&amp;'],
    ['no entities <b>here</b>', 'no entities <b>here</b>'],
    ['tags stay text &amp; <script>x</script></textarea>', 'tags stay text & <script>x</script></textarea>'],
    ['\nstarts with a newline &amp;', '\nstarts with a newline &'],
    ['AT&T, R&D', 'AT&T, R&D'],
    ['🏠 &amp; 🌳', '🏠 & 🌳'],
  ])('should decode %j', (input, output) => {
    expect(decodeEntities(input)).toBe(output);
  });
});
