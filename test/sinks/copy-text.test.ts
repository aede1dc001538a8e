import { describe, expect, it } from 'vitest';
import { copyField, copyLines, escapeCopyText } from '../../src/sinks/postgres/copy-text.ts';

/** PostgreSQL's reading of one COPY text field (the inverse of copyField for text), to check escaping round-trips. */
function unescape(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(.)/gs, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c] ?? c);
}

describe('COPY text encoding', () => {
  it('should escape backslash, tab, newline and carriage return and nothing else', () => {
    expect(escapeCopyText('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(escapeCopyText('ünï 🚀 "quoted" \'single\' , ;')).toBe('ünï 🚀 "quoted" \'single\' , ;');
    for (const text of ['\\N', '\\.', '\\', '\t\t', 'line\r\n', '']) {
      const field = copyField('text', text);
      expect(field).not.toMatch(/[\t\n\r]/);
      expect(unescape(field)).toBe(text);
    }
  });

  it('should write NULL as \\N, distinct from the text "\\N" and the empty string', () => {
    expect(copyField('text', null)).toBe('\\N');
    expect(copyField('json', undefined)).toBe('\\N');
    expect(copyField('text', '\\N')).toBe('\\\\N');
    expect(copyField('text', '')).toBe('');
  });

  it('should write JSON with its own backslashes escaped again', () => {
    const value = { s: 'tab\there "q" back\\slash', n: [1, null] };
    const field = copyField('json', value);
    expect(JSON.parse(unescape(field)!)).toEqual(value);
  });

  it('should write numbers, booleans and timestamps as PostgreSQL reads them', () => {
    expect(copyField('integer', -5)).toBe('-5');
    expect(copyField('bigint', 2n ** 63n - 1n)).toBe('9223372036854775807');
    expect(copyField('double', 0.1)).toBe('0.1');
    expect(copyField('double', 1e21)).toBe('1e+21');
    expect(copyField('boolean', false)).toBe('f');
    expect(copyField('timestamp', new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)))).toBe('2024-01-02T03:04:05.006Z');
  });

  it('should prefix each line with the row index and cut the lines into chunks', () => {
    const spec = { name: 't', columns: { id: 'text', n: 'integer' }, key: ['id'] } as const;
    const rows = Array.from({ length: 5000 }, (_, i) => ({ id: `row ${i}\twith tab`, n: i }));
    const chunks = [...copyLines(spec, ['id', 'n'], rows)];
    expect(chunks.length).toBeGreaterThan(1);
    const lines = chunks.join('').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(5000);
    expect(lines[42]).toBe('42\trow 42\\twith tab\t42');
  });
});
