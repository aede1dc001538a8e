/**
 * The first record of CSV text (a header line), split into fields: quoted fields, `""` escapes, a
 * BOM, and LF or CRLF line ends. Shared by the batch layer (matching a raw file's header to a job's
 * columns) and the CKAN source (recording the columns of what it downloaded).
 */
export interface CsvRecord {
  fields: string[];
  /** False when the text ended before an unquoted line break: the record may go on. */
  complete: boolean;
}

export function firstCsvRecord(input: string): CsvRecord {
  const text = input.replace(/^\uFEFF/, '');
  if (text === '') return { fields: [], complete: false };
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') return { fields: [...fields, field], complete: true };
    else field += ch;
  }
  return { fields: [...fields, field], complete: false };
}

/**
 * Why bytes at the start of a CSV file cannot be read as UTF-8 text, or undefined when they can. A
 * UTF-16 file (as spreadsheet programs save "Unicode text") otherwise reads as one garbled column.
 */
export function csvEncodingProblem(start: Uint8Array): string | undefined {
  const [a, b] = start;
  const utf16 = a === 0xff && b === 0xfe ? 'UTF-16 LE' : a === 0xfe && b === 0xff ? 'UTF-16 BE' : undefined;
  if (utf16) return `the file is ${utf16} (it starts with that byte order mark); CSV input must be UTF-8: convert it first, e.g. iconv -f UTF-16 -t UTF-8`;
  if (start.includes(0)) return 'the file holds NUL bytes, so it is not UTF-8 text (UTF-16 without a byte order mark, or not a CSV file at all); CSV input must be UTF-8';
  return undefined;
}
