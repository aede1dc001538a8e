/**
 * What every CLI command is given: its streams, environment and working directory (injected, so
 * commands are testable without spawning a process), and the global options turned into a config.
 */
import type { Readable, Writable } from 'node:stream';
import { TributaryError, isTributaryError } from '../errors.ts';
import { loadConfig, type LoadedConfig } from '../config/load.ts';
import type { Log } from '../log/log.ts';
import { openLog } from '../log/open-log.ts';
import { createLogger, type Logger } from '../logger.ts';
import { devFilePath, readDevFile } from '../runtime/dev-file.ts';
import { apiClient, remoteLogView } from '../serve/api/api-client.ts';
import { directLogView, type LogView } from '../serve/api/log-view.ts';

export interface CliIo {
  stdin?: Readable;
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  /** Aborted on Ctrl-C: long-running commands stop cleanly. */
  signal?: AbortSignal;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** Options every command accepts (declared on the root program). */
export interface GlobalOptions {
  config?: string;
  set?: string[];
  logLevel?: string;
  dataDir?: string;
}

export interface CliContext {
  io: CliIo;
  /** Load and validate the config the global options point at. Throws CONFIG_* errors. */
  loadConfig(options: GlobalOptions): Promise<LoadedConfig>;
  /** A logger at the configured level, writing to the injected stderr. */
  logger(loaded: LoadedConfig): Promise<Logger>;
  /** Run `fn` with the log the config names, closing it afterwards. */
  withLog<T>(options: GlobalOptions, fn: (log: Log, loaded: LoadedConfig) => Promise<T>): Promise<T>;
  /**
   * Run `fn` with a view of the log: opened here, or, when a running `tributary dev` (or serve,
   * worker) holds the embedded log, through that process's local API.
   */
  withLogView<T>(options: GlobalOptions, fn: (view: LogView, loaded: LoadedConfig) => Promise<T>): Promise<T>;
}

export function createCliContext(io: CliIo): CliContext {
  return {
    io,
    loadConfig: (options) => loadConfig({ cwd: io.cwd, env: io.env, file: options.config, overrides: overridesFrom(options) }),
    logger: (loaded) => createLogger({ level: loaded.config.logging.level, destination: io.stderr }),
    async withLog(options, fn) {
      const loaded = await this.loadConfig(options);
      const logger = await this.logger(loaded);
      const log = await openLog(loaded.config, { cwd: io.cwd, onWarning: (message, details) => logger.warn(details, message) });
      try {
        return await fn(log, loaded);
      } finally {
        await log.close();
      }
    },
    async withLogView(options, fn) {
      const loaded = await this.loadConfig(options);
      const logger = await this.logger(loaded);
      let log: Log;
      try {
        log = await openLog(loaded.config, { cwd: io.cwd, onWarning: (message, details) => logger.warn(details, message) });
      } catch (error) {
        const running = loaded.config.log.backend === 'embedded' && isTributaryError(error, 'LOG_UNAVAILABLE') ? readDevFile(devFilePath(loaded.config, io.cwd)) : undefined;
        if (!running) throw error;
        logger.debug({ pid: running.pid, url: running.url }, 'the embedded log is held by a running process; going through its local API');
        return fn(remoteLogView(apiClient(running.url, loaded.config.server.apiKey), loaded.config.log.backend), loaded);
      }
      const view = directLogView(log);
      try {
        return await fn(view, loaded);
      } finally {
        await view.close();
        await log.close();
      }
    },
  };
}

/** `--set key=value`, `--log-level` and `--data-dir` as dotted-key overrides. */
export function overridesFrom(options: GlobalOptions): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const pair of options.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TributaryError('CLI_USAGE', `--set expects key=value (e.g. --set log.backend=kafka), got "${pair}"`);
    overrides[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  if (options.logLevel !== undefined) overrides['logging.level'] = options.logLevel;
  if (options.dataDir !== undefined) overrides.dataDir = options.dataDir;
  return overrides;
}
