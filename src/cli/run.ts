/** Run the CLI once: parse, dispatch, and turn every outcome into an exit code and at most one error line. */
import { CommanderError } from 'commander';
import { isTributaryError } from '../errors.ts';
import { createCliContext, type CliIo } from './context.ts';
import { createProgram } from './program.ts';

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = createProgram(createCliContext(io));
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  const verbose = argv.some((arg, i) => (arg === '--log-level' && /^(debug|trace)$/.test(argv[i + 1] ?? '')) || /^--log-level=(debug|trace)$/.test(arg));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message (or the help / version) already.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (isTributaryError(error)) {
      io.stderr.write(`error [${error.code}]: ${error.message}\n`);
      if (verbose && error.stack) io.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    const err = error instanceof Error ? error : new Error(String(error));
    io.stderr.write(`error [INTERNAL]: ${err.message}\n`);
    io.stderr.write(verbose ? `${err.stack ?? ''}\n` : 'this is a bug; run again with --log-level debug for details\n');
    return 1;
  }
}
