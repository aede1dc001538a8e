/**
 * Logging: pino, to stderr (stdout belongs to command output). JSON lines when stderr is not a
 * terminal, so logs can be shipped as they are; readable, coloured lines on a terminal.
 */
import type { Writable } from 'node:stream';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Defaults to stderr. */
  destination?: Writable & { isTTY?: boolean };
  /** Defaults to whether the destination is a terminal. */
  pretty?: boolean;
}

export async function createLogger(options: LoggerOptions): Promise<Logger> {
  const destination = options.destination ?? process.stderr;
  const pretty = options.pretty ?? destination.isTTY === true;
  if (!pretty) return pino({ level: options.level, base: { pid: process.pid } }, destination);
  // Only terminals pay for loading the pretty printer. It runs in-process (no worker thread).
  const { default: prettyStream } = await import('pino-pretty');
  return pino(
    { level: options.level },
    prettyStream({ destination, colorize: destination.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }),
  );
}
