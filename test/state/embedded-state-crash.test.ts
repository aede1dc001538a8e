import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openEmbeddedStateStore } from '../../src/state/embedded/embedded-state.ts';
import { tempDir } from '../support/cli.ts';
import { NAMESPACE, payloadFor } from './fixtures/state-writer.ts';

const writer = new URL('./fixtures/state-writer.ts', import.meta.url).pathname;

/** Run the writer until it has committed at least once more, SIGKILL it at a random moment, return the last number it printed. */
async function commitAndKill(file: string, maxDelayMs: number): Promise<number> {
  const child = spawn(process.execPath, [writer, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let lastCommitted = -1;
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('committed ')) lastCommitted = Number(line.slice('committed '.length));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  while (lastCommitted < 0 && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  await new Promise((resolve) => setTimeout(resolve, Math.random() * maxDelayMs));
  child.kill('SIGKILL');
  await exited;
  return lastCommitted;
}

describe('the embedded state store after a crash', () => {
  it('should keep every resolved commit, whole, across 10 SIGKILLs', { timeout: 120_000 }, async () => {
    const file = path.join(await tempDir(), 'state.sqlite');
    let previous = 0;
    for (let round = 0; round < 10; round++) {
      const printed = await commitAndKill(file, 150);
      expect(printed, `round ${round}: the writer committed nothing`).toBeGreaterThan(previous);
      const store = await openEmbeddedStateStore({ file });
      const [counter, payload] = await store.getMany(NAMESPACE, ['counter', 'payload']);
      await store.close();
      const stored = Number(counter?.toString());
      // A commit may have landed after its line was printed, never before: stored >= printed.
      expect(stored, `round ${round}: a resolved commit was lost`).toBeGreaterThanOrEqual(printed);
      expect(stored, `round ${round}: more commits than the writer could have made`).toBeLessThanOrEqual(printed + 1);
      expect(payload?.equals(payloadFor(stored)), `round ${round}: counter ${stored} and payload are from different commits`).toBe(true);
      previous = stored;
    }
  });
});
