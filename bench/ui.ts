/**
 * `npm run bench -- ui`: the web UI's weight and first load.
 *
 * - bundle: the JavaScript and CSS the first page needs (the entry chunk and what it imports
 *   statically), raw and gzipped, beside the chunks loaded later (pages opened on demand); read from
 *   the build's manifest in dist/ui.
 * - first load: `tributary dev examples/pinterest` on loopback and Debian's chromium; the time from
 *   navigation to the overview showing the pipeline, over `--repeat N` fresh pages (default 5).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { EXAMPLES, launch, startDev } from '../test/ui/browser.ts';

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

export interface BundleReport {
  initial: { files: string[]; jsBytes: number; jsGzipBytes: number; cssGzipBytes: number };
  lazy: Array<{ file: string; jsGzipBytes: number }>;
}

const root = path.resolve(import.meta.dirname, '..');

export async function bundleReport(dir = path.join(root, 'dist/ui')): Promise<BundleReport> {
  const manifest = JSON.parse(await readFile(path.join(dir, '.vite/manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  const entry = Object.entries(manifest).find(([, c]) => c.isEntry);
  if (!entry) throw new Error(`${dir}: the manifest has no entry chunk`);
  const initial = new Set<string>();
  const walk = (key: string) => {
    if (initial.has(key)) return;
    initial.add(key);
    for (const i of manifest[key]?.imports ?? []) walk(i);
  };
  walk(entry[0]);
  const size = async (file: string) => {
    const bytes = await readFile(path.join(dir, file));
    return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  };
  let jsBytes = 0;
  let jsGzipBytes = 0;
  let cssGzipBytes = 0;
  const files: string[] = [];
  for (const key of initial) {
    const chunk = manifest[key]!;
    const s = await size(chunk.file);
    jsBytes += s.raw;
    jsGzipBytes += s.gzip;
    files.push(chunk.file);
    for (const css of chunk.css ?? []) cssGzipBytes += (await size(css)).gzip;
  }
  const lazy: BundleReport['lazy'] = [];
  for (const [key, chunk] of Object.entries(manifest)) if (!initial.has(key) && chunk.file.endsWith('.js')) lazy.push({ file: chunk.file, jsGzipBytes: (await size(chunk.file)).gzip });
  return { initial: { files, jsBytes, jsGzipBytes, cssGzipBytes }, lazy };
}

export async function run(args: Record<string, string | boolean | undefined>): Promise<object> {
  const bundle = await bundleReport();
  const repeat = Number(args.repeat ?? 5);
  const dev = await startDev([EXAMPLES.pinterest]);
  const browser = await launch();
  const loads: number[] = [];
  try {
    for (let i = 0; i < repeat; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(`${dev.url}/`);
      await page.locator('[data-pipeline="pinterest"]').waitFor();
      loads.push(Math.round(performance.now() - started));
      await context.close();
    }
  } finally {
    await browser.close();
    await dev.stop();
  }
  const sorted = [...loads].sort((a, b) => a - b);
  return { bundle, firstLoadMs: { runs: loads, median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) } };
}
