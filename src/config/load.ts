/**
 * Loading the configuration: a file (tributary.config.ts, .mjs, .js, .json, .yaml or .yml), then the
 * environment (TRIBUTARY_<PATH>), then command-line overrides, merged in that order and validated
 * once against the schema. Secrets are accepted from the environment only.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { TributaryError } from '../errors.ts';
import { configSchema, type Config } from './schema.ts';
import { settings, settingsByKey, type Setting } from './settings.ts';

export const configFileNames = [
  'tributary.config.ts',
  'tributary.config.mjs',
  'tributary.config.js',
  'tributary.config.json',
  'tributary.config.yaml',
  'tributary.config.yml',
] as const;

export interface LoadConfigOptions {
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** An explicit config file (`--config`); otherwise TRIBUTARY_CONFIG, then the first of configFileNames in cwd. */
  file?: string;
  /** Command-line overrides by dotted key (`--set log.backend=kafka`, `--log-level debug`), as raw strings. */
  overrides?: Readonly<Record<string, string>>;
}

/** Where a setting's value came from, for messages and `config check`. */
export type SettingSource = { kind: 'file'; file: string } | { kind: 'env'; name: string } | { kind: 'flag' };

export interface LoadedConfig {
  config: Readonly<Config>;
  /** The config file used, if any. */
  file: string | undefined;
  sources: ReadonlyMap<string, SettingSource>;
}

type Tree = Record<string, unknown>;

export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const sources = new Map<string, SettingSource>();
  const problems: string[] = [];

  const file = findConfigFile(cwd, options.file ?? env.TRIBUTARY_CONFIG);
  const merged: Tree = file ? await readConfigFile(file) : {};
  if (file) {
    for (const key of leafKeys(merged)) sources.set(key, { kind: 'file', file });
    for (const setting of settings) {
      if (setting.secret && getPath(merged, setting.path) !== undefined) {
        problems.push(`${setting.key}: secrets may not be written in a config file (${path.basename(file)}); set environment variable ${setting.env} instead`);
      }
    }
  }

  for (const setting of settings) {
    const raw = env[setting.env];
    if (raw === undefined || raw === '') continue;
    setPath(merged, setting.path, coerce(setting, raw));
    sources.set(setting.key, { kind: 'env', name: setting.env });
  }

  for (const [key, raw] of Object.entries(options.overrides ?? {})) {
    const setting = settingsByKey.get(key);
    if (!setting) {
      problems.push(`${key}: unknown setting${suggest(key)}`);
      continue;
    }
    if (setting.secret) {
      problems.push(`${key}: secrets may not be passed on the command line; set environment variable ${setting.env} instead`);
      continue;
    }
    setPath(merged, setting.path, coerce(setting, raw));
    sources.set(key, { kind: 'flag' });
  }

  const result = configSchema.safeParse(merged);
  if (!result.success) problems.push(...result.error.issues.flatMap((issue) => describeIssue(issue, merged, sources)));
  if (problems.length > 0 || !result.success) {
    throw new TributaryError('CONFIG_INVALID', `invalid config: ${problems.join('; ')}`);
  }
  return { config: deepFreeze(result.data), file, sources };
}

function findConfigFile(cwd: string, explicit: string | undefined): string | undefined {
  if (explicit) {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file)) throw new TributaryError('CONFIG_FILE_NOT_FOUND', `config file not found: ${file}`);
    return file;
  }
  return configFileNames.map((name) => path.join(cwd, name)).find((file) => existsSync(file));
}

async function readConfigFile(file: string): Promise<Tree> {
  let value: unknown;
  try {
    if (/\.(ya?ml)$/.test(file)) {
      const document = parseDocument(await readFile(file, 'utf8'));
      if (document.errors.length > 0) throw document.errors[0]!;
      // An empty YAML file (or one of comments only) means "all defaults"; an explicit `null` does not.
      value = document.contents === null ? {} : document.toJS();
    } else if (file.endsWith('.json')) value = JSON.parse(await readFile(file, 'utf8'));
    else {
      const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
      value = typeof mod.default === 'function' ? await (mod.default as () => unknown)() : mod.default;
    }
  } catch (error) {
    throw new TributaryError('CONFIG_FILE_UNREADABLE', `cannot read config file ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TributaryError('CONFIG_FILE_UNREADABLE', `config file ${file} must hold an object (a TypeScript or JavaScript file: export default {...}), got ${describeType(value)}`);
  }
  const cycle = circularPath(value);
  if (cycle !== undefined) {
    throw new TributaryError('CONFIG_FILE_UNREADABLE', `config file ${file} refers to itself at ${cycle} (a YAML alias inside its own anchor?); write the values out instead`);
  }
  return structuredClone(value) as Tree;
}

/** The dotted path of the first value that contains itself, or undefined when the tree has no cycle. */
function circularPath(root: object): string | undefined {
  const ancestors = new Set<object>();
  const visit = (node: object, at: string[]): string | undefined => {
    if (ancestors.has(node)) return at.join('.') || '(root)';
    ancestors.add(node);
    for (const [key, child] of Object.entries(node)) {
      const found = child !== null && typeof child === 'object' ? visit(child as object, [...at, key]) : undefined;
      if (found !== undefined) return found;
    }
    ancestors.delete(node);
    return undefined;
  };
  return visit(root, []);
}

/** Environment variables and flags are strings; turn them into what the setting holds where that is unambiguous. */
function coerce(setting: Setting, raw: string): unknown {
  switch (setting.kind) {
    case 'number': {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      return raw;
    case 'list':
      return raw
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
    default:
      return raw;
  }
}

function describeIssue(issue: z.core.$ZodIssue, input: Tree, sources: ReadonlyMap<string, SettingSource>): string[] {
  const at = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const parent = getPath(input, at);
    const children = [...new Set(settings.filter((s) => s.path.length > at.length && at.every((p, i) => s.path[i] === p)).map((s) => s.path[at.length]))];
    return issue.keys.map((key) => {
      const full = [...at, key].join('.');
      const value = parent && typeof parent === 'object' ? (parent as Tree)[key] : undefined;
      return `${full}: unknown setting (got ${formatValue(value, false)}${from(sources.get(full) ?? sourceOfParent(full, sources))}), expected one of: ${children.join(', ')}`;
    });
  }
  const key = at.join('.');
  const setting = settingsByKey.get(key);
  const value = getPath(input, at);
  const got = value === undefined ? 'missing' : `got ${formatValue(value, setting?.secret ?? false)}${from(sources.get(key) ?? sourceOfParent(key, sources))}`;
  return [`${key || '(root)'}: ${got}, ${expected(issue, setting)}`];
}

function expected(issue: z.core.$ZodIssue, setting: Setting | undefined): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${setting?.kind === 'list' ? 'a list' : issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'custom':
      return issue.message + (setting?.secret ? ` (set environment variable ${setting.env})` : setting ? ` (set it in the config file or ${setting.env})` : '');
    default:
      return issue.message.replace(/^Too (small|big): /, '').replace(/^Invalid (string|input): /i, '').replace(/^[A-Z]/, (c) => c.toLowerCase());
  }
}

function from(source: SettingSource | undefined): string {
  if (!source) return '';
  if (source.kind === 'env') return ` from environment variable ${source.name}`;
  if (source.kind === 'flag') return ' from the command line';
  return ` from ${path.basename(source.file)}`;
}

function sourceOfParent(key: string, sources: ReadonlyMap<string, SettingSource>): SettingSource | undefined {
  for (const [k, source] of sources) if (k.startsWith(key + '.') || key.startsWith(k + '.')) return source;
  return undefined;
}

function suggest(key: string): string {
  const close = settings.map((s) => s.key).filter((k) => k.toLowerCase() === key.toLowerCase() || k.endsWith('.' + key.split('.').at(-1)));
  return close.length > 0 ? ` (did you mean ${close.join(' or ')}?)` : ` (see tributary config check --list)`;
}

export function formatValue(value: unknown, secret: boolean): string {
  if (secret && value !== undefined) return '"***"';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function describeType(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
}

function leafKeys(tree: Tree, prefix: string[] = []): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? leafKeys(v as Tree, [...prefix, k]) : [[...prefix, k].join('.')],
  );
}

function getPath(tree: unknown, at: readonly string[]): unknown {
  let node = tree;
  for (const part of at) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Tree)[part];
  }
  return node;
}

function setPath(tree: Tree, at: readonly string[], value: unknown): void {
  let node = tree;
  for (const part of at.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Tree;
  }
  node[at.at(-1) ?? ''] = value;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
