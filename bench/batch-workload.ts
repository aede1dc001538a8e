/**
 * The batch benchmark's input: the real Toronto pre-2023 evaluations CSV replicated to N data rows.
 * Generated once into a cache directory outside the repo (`$TMPDIR/tributary-bench-cache/`) and
 * reused while it exists; a partly written file is never reused (written under a temporary name).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';

export const torontoPre2023 = new URL('../../shared/data/toronto-abe/pre-2023-apartment-building-evaluations.csv', import.meta.url);

/** Byte offsets where each CSV record ends (after its line break), honouring quoted line breaks. */
function recordEnds(bytes: Buffer, from: number): number[] {
  const ends: number[] = [];
  let quoted = false;
  for (let i = from; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x22) quoted = !quoted;
    else if (b === 0x0a && !quoted) ends.push(i + 1);
  }
  if (ends.at(-1) !== bytes.length) ends.push(bytes.length);
  return ends;
}

/** A CSV of the pre-2023 header and `rows` data rows (the real rows, repeated in order). */
export async function replicatedToronto(rows: number): Promise<string> {
  const dir = path.join(tmpdir(), 'tributary-bench-cache');
  const file = path.join(dir, `toronto-pre-2023-${rows}.csv`);
  if (await stat(file).then(() => true, () => false)) return file;
  await mkdir(dir, { recursive: true });
  const bytes = await readFile(torontoPre2023);
  const headerEnd = bytes.indexOf(0x0a) + 1;
  const ends = recordEnds(bytes, headerEnd);
  const body = bytes.subarray(headerEnd);
  const perCopy = ends.length;
  const temporary = `${file}.${process.pid}.tmp`;
  const out = createWriteStream(temporary);
  out.write(bytes.subarray(0, headerEnd));
  let left = rows;
  while (left > 0) {
    const take = Math.min(left, perCopy);
    const chunk = take === perCopy ? body : bytes.subarray(headerEnd, ends[take - 1]);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    left -= take;
  }
  out.end();
  await finished(out);
  await rename(temporary, file);
  return file;
}
