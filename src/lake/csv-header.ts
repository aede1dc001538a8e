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
