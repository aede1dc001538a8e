/**
 * What the CKAN source learns about a CSV file while its bytes stream past, without keeping them:
 * SHA-256 (and MD5 when the catalog publishes one), byte count, data rows and the header's columns.
 *
 * Rows are counted as RFC 4180 records: a line break inside a quoted field (Toronto's addresses have
 * some) does not end a row. A doubled quote inside a quoted field toggles the state twice, so the
 * count stays right without looking ahead.
 */
import { createHash, type Hash } from 'node:crypto';
import { firstCsvRecord } from '../../lake/csv-header.ts';

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const MAX_HEADER_BYTES = 64 * 1024;

export interface CsvDigestResult {
  bytes: number;
  sha256: string;
  md5?: string;
  /** Data rows: records after the header. */
  rows: number;
  columns: string[];
}

export class CsvDigest {
  readonly #sha256: Hash = createHash('sha256');
  readonly #md5: Hash | undefined;
  #bytes = 0;
  #records = 0;
  #inQuotes = false;
  #last = -1;
  #header: Buffer[] = [];
  #headerBytes = 0;
  #headerDone = false;

  constructor(options: { md5?: boolean } = {}) {
    this.#md5 = options.md5 ? createHash('md5') : undefined;
  }

  update(chunk: Uint8Array): void {
    this.#sha256.update(chunk);
    this.#md5?.update(chunk);
    this.#bytes += chunk.length;
    let headerEnd = -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === QUOTE) this.#inQuotes = !this.#inQuotes;
      else if (byte === NEWLINE && !this.#inQuotes) {
        if (this.#records === 0 && headerEnd < 0) headerEnd = i;
        this.#records += 1;
      }
    }
    if (chunk.length > 0) this.#last = chunk[chunk.length - 1] ?? -1;
    if (!this.#headerDone) {
      const take = headerEnd >= 0 ? headerEnd : chunk.length;
      const room = MAX_HEADER_BYTES - this.#headerBytes;
      this.#header.push(Buffer.from(chunk.subarray(0, Math.min(take, room))));
      this.#headerBytes += Math.min(take, room);
      if (headerEnd >= 0 || this.#headerBytes >= MAX_HEADER_BYTES) this.#headerDone = true;
    }
  }

  digest(): CsvDigestResult {
    // A last record without a trailing newline still counts.
    const records = this.#records + (this.#bytes > 0 && this.#last !== NEWLINE ? 1 : 0);
    const result: CsvDigestResult = {
      bytes: this.#bytes,
      sha256: this.#sha256.digest('hex'),
      rows: Math.max(0, records - 1),
      columns: parseHeader(Buffer.concat(this.#header).toString('utf8')),
    };
    if (this.#md5) result.md5 = this.#md5.digest('hex');
    return result;
  }
}

/** The fields of one CSV line (the header), unquoted. */
export function parseHeader(line: string): string[] {
  return firstCsvRecord(line).fields;
}
