/**
 * Decoding HTML character references (`&amp;`, `&apos;`, `&#39;`, `&#x27;`, `&eacute;` ...) in text
 * that arrives already out of its markup: JSON strings in `__NEXT_DATA__`, scraped CSV fields.
 * (Text read through cheerio's `.text()` is decoded already.)
 *
 * It uses the HTML parser's own rules: the text is parsed as the content of a <textarea>, where
 * references are decoded and tags are not, so every named reference HTML knows is handled.
 */
import { load } from 'cheerio';

export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  // `<` is escaped so nothing can close the textarea; the leading newline is one the parser drops.
  const $ = load(`<textarea>\n${text.replaceAll('<', '&lt;')}</textarea>`);
  return $('textarea').text();
}
