/**
 * The list of leaf settings, read off the schema: each one's path, environment variable, kind,
 * default and description. Environment parsing, secret masking and docs/configuration.md all come
 * from this one list, so they cannot drift from the schema.
 */
import type { z } from 'zod';
import { configSchema, settingMeta } from './schema.ts';

export type SettingKind = 'string' | 'number' | 'boolean' | 'enum' | 'list';

export interface Setting {
  path: string[];
  /** Dotted path, as used in messages and `--set`. */
  key: string;
  env: string;
  kind: SettingKind;
  values?: string[];
  defaultValue?: unknown;
  description: string;
  secret: boolean;
}

type AnySchema = z.core.$ZodType;

export function envName(path: readonly string[]): string {
  return 'TRIBUTARY_' + path.map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

function describeLeaf(schema: AnySchema): { kind: SettingKind; values?: string[]; defaultValue?: unknown; secret: boolean; description: string } {
  let current = schema;
  let defaultValue: unknown;
  let secret = settingMeta.get(schema)?.secret ?? false;
  let description = (schema as z.ZodType).description ?? '';
  for (;;) {
    const def = current._zod.def;
    secret ||= settingMeta.get(current)?.secret ?? false;
    description ||= (current as z.ZodType).description ?? '';
    if (def.type === 'default') {
      defaultValue = (def as z.core.$ZodDefaultDef).defaultValue;
      current = (def as z.core.$ZodDefaultDef).innerType;
    } else if (def.type === 'optional' || def.type === 'prefault' || def.type === 'nullable') {
      current = (def as z.core.$ZodOptionalDef).innerType;
    } else {
      break;
    }
  }
  const def = current._zod.def;
  switch (def.type) {
    case 'number':
      return { kind: 'number', defaultValue, secret, description };
    case 'boolean':
      return { kind: 'boolean', defaultValue, secret, description };
    case 'array':
      return { kind: 'list', defaultValue, secret, description };
    case 'enum':
      return { kind: 'enum', values: Object.values((def as z.core.$ZodEnumDef).entries).map(String), defaultValue, secret, description };
    default:
      return { kind: 'string', defaultValue, secret, description };
  }
}

function objectShape(schema: AnySchema): Record<string, AnySchema> | undefined {
  let current = schema;
  while (current._zod.def.type === 'prefault' || current._zod.def.type === 'default' || current._zod.def.type === 'optional') {
    current = (current._zod.def as z.core.$ZodOptionalDef).innerType;
  }
  return current._zod.def.type === 'object' ? (current._zod.def as z.core.$ZodObjectDef).shape : undefined;
}

function collect(schema: AnySchema, path: string[], out: Setting[]): void {
  const shape = objectShape(schema);
  if (!shape) {
    out.push({ path, key: path.join('.'), env: envName(path), ...describeLeaf(schema) });
    return;
  }
  for (const [name, child] of Object.entries(shape)) collect(child, [...path, name], out);
}

function listSettings(): readonly Setting[] {
  const out: Setting[] = [];
  collect(configSchema, [], out);
  return Object.freeze(out);
}

export const settings: readonly Setting[] = listSettings();

export const settingsByKey: ReadonlyMap<string, Setting> = new Map(settings.map((s) => [s.key, s]));
