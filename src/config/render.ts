/** Printing a resolved config for people: secrets masked, each value's origin on request. */
import { stringify } from 'yaml';
import type { LoadedConfig, SettingSource } from './load.ts';
import { settings } from './settings.ts';

export const MASK = '***';

/** A copy of the config with every secret, and any password inside a URL, replaced by ***. */
export function maskSecrets(config: object): Record<string, unknown> {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const setting of settings) {
    const parent = setting.path.slice(0, -1).reduce<Record<string, unknown> | undefined>((node, part) => node?.[part] as Record<string, unknown> | undefined, copy);
    const leaf = setting.path.at(-1) ?? '';
    const value = parent?.[leaf];
    if (parent === undefined || value === undefined) continue;
    if (setting.secret) parent[leaf] = MASK;
    else if (typeof value === 'string') parent[leaf] = maskUrlPassword(value);
  }
  return copy;
}

export function maskUrlPassword(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  try {
    const url = new URL(value);
    if (!url.password) return value;
    url.password = MASK;
    return url.toString();
  } catch {
    return value;
  }
}

function describeSource(source: SettingSource | undefined): string {
  if (!source) return 'default';
  if (source.kind === 'env') return source.name;
  if (source.kind === 'flag') return 'command line';
  return source.file;
}

export function renderConfig(loaded: LoadedConfig, format: 'yaml' | 'json'): string {
  const masked = maskSecrets(loaded.config);
  if (format === 'json') return JSON.stringify(masked, null, 2) + '\n';
  const from = loaded.file ? `file ${loaded.file}` : 'no config file';
  return `# resolved config (${from}, then environment, then flags); secrets masked\n${stringify(masked)}`;
}

/** One line per setting: key, value (masked), and where it came from. */
export function renderSources(loaded: LoadedConfig): string {
  const masked = maskSecrets(loaded.config);
  const rows = settings.map((setting) => {
    const value = setting.path.reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], masked);
    return [setting.key, value === undefined ? '(unset)' : JSON.stringify(value), describeSource(loaded.sources.get(setting.key))];
  });
  const width = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  return rows.map(([k, v, s]) => `${k?.padEnd(width[0] ?? 0)}  ${v?.padEnd(width[1] ?? 0)}  ${s}`).join('\n') + '\n';
}

/** Every setting as a Markdown table: the source of docs/configuration.md and `config check --list`. */
export function renderSettingsTable(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = settings.map((s) => {
    const type = s.kind === 'enum' ? (s.values ?? []).map((v) => `\`${v}\``).join(' \\| ') : s.kind;
    const def = s.defaultValue === undefined ? '' : `\`${JSON.stringify(s.defaultValue)}\``;
    return `| \`${s.key}\` | \`${s.env}\` | ${type} | ${def} | ${s.secret ? 'yes' : ''} | ${cell(s.description)} |`;
  });
  return ['| setting | environment variable | type | default | secret | description |', '|---|---|---|---|---|---|', ...rows].join('\n') + '\n';
}
