/**
 * What the browser tests share: `tributary dev` as a child process on a free port (from src/, as a
 * user runs it), Debian's chromium driven by playwright-core, and pages that record every console
 * error so that a test can require none.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const root = path.resolve(import.meta.dirname, '../..');
export const SCREENSHOTS = path.join(root, 'test/ui/screenshots');
export const EXAMPLES = { pinterest: path.join(root, 'examples/pinterest'), toronto: path.join(root, 'examples/toronto-kijiji') };

export interface DevServer {
  url: string;
  /** The working directory it runs in (its data under `.tributary/`). */
  cwd: string;
  output(): string;
  /** `keepData`: leave the working directory, for a `startDev` on it again (a restart). */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export async function startDev(pipelines: string[], env: Record<string, string> = {}, options: { cwd?: string } = {}): Promise<DevServer> {
  if (!existsSync(path.join(root, 'dist/ui/.vite/manifest.json'))) throw new Error('dist/ui is not built: run `npm run build` (npm ci runs it) before the browser tests');
  const cwd = options.cwd ?? (await mkdtemp(path.join(tmpdir(), 'tributary-ui-')));
  const child: ChildProcess = spawn(process.execPath, ['--conditions=tributary-source', path.join(root, 'src/cli/main.ts'), 'dev', ...pipelines, '--port', '0', '--status-ms', '0', '--log-level', 'warn'], {
    cwd,
    env: { ...process.env, PINTEREST_RATE: '40', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  let stopping = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A dev that ends on its own fails the tests after it: say why, with what it printed.
  child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`tributary dev (${cwd}) exited on its own (code ${code}, signal ${signal}):\n${out.slice(-4000)}\n`);
  });
  const deadline = Date.now() + 90_000;
  let url: string | undefined;
  while (url === undefined) {
    url = /server (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    if (child.exitCode !== null) throw new Error(`tributary dev exited (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) throw new Error(`tributary dev did not announce its server in 90 s:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    cwd,
    output: () => out,
    async stop(stopOptions = {}) {
      stopping = true;
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      if (!stopOptions.keepData) await rm(cwd, { recursive: true, force: true });
    },
  };
}

export function chromiumPath(): string {
  const candidates = [process.env.TRIBUTARY_CHROMIUM, '/usr/bin/chromium'].filter((c): c is string => !!c);
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error('chromium is not installed: run scripts/chromium (it installs Debian\'s chromium), or set TRIBUTARY_CHROMIUM to a Chromium binary');
  return found;
}

export async function launch(): Promise<Browser> {
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions so far. */
  errors: string[];
}

export async function openPage(browser: Browser, url: string): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, errors };
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

