/** The package's public API for pipeline and config authors. */
export { defineConfig, type Config, type ConfigInput } from './config/schema.ts';
export { loadConfig, type LoadConfigOptions, type LoadedConfig } from './config/load.ts';
export { TributaryError, isTributaryError, errorCodes, type ErrorCode } from './errors.ts';
