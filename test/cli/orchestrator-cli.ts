/** The orchestrator's commands in-process, with graphs given as the runtime gives them, and their output captured. */
import { Readable, Writable } from 'node:stream';
import { createCliContext } from '../../src/cli/context.ts';
import type { GraphProvider } from '../../src/cli/orchestrator-cli.ts';
import { createProgram } from '../../src/cli/program.ts';
import { isTributaryError } from '../../src/errors.ts';

export async function tributaryWith(provider: GraphProvider, cwd: string, argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdin: Readable.from(['']),
    stdout: new Writable({ write: (c: Buffer, _e, done) => ((stdout += c.toString()), done()) }),
    stderr: new Writable({ write: (c: Buffer, _e, done) => ((stderr += c.toString()), done()) }),
    env,
    cwd,
  };
  const program = createProgram(createCliContext(io), { graphs: provider });
  try {
    await program.parseAsync(['--log-level', 'warn', ...argv], { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (isTributaryError(error)) return { code: error.exitCode, stdout, stderr: stderr + `error [${error.code}]: ${error.message}\n` };
    throw error;
  }
}
