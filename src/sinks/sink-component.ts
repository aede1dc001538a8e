/**
 * A sink backend as a value: `{ name, create(spec, ctx, options) }`. `create` only checks the spec
 * and the options and builds the sink; nothing connects and no driver loads until `open()`, so
 * importing a component costs nothing.
 */
import type { z } from 'zod';
import { TributaryError } from '../errors.ts';
import type { Sink, SinkContext, TableSpec } from './sink.ts';

export interface SinkComponent<Options> {
  readonly name: string;
  /** The options `create` takes, with their documentation; `sinkOptions` checks a value against it. */
  readonly configSchema: z.ZodType<Options>;
  /** Throws SINK_REJECTED for an invalid spec or options. */
  create(spec: TableSpec, ctx: SinkContext, options: Options): Sink;
}

/** Check options against a component's schema: CONFIG_INVALID naming each bad setting. */
export function sinkOptions<Options>(component: SinkComponent<Options>, options: unknown): Options {
  const parsed = component.configSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`);
  throw new TributaryError('CONFIG_INVALID', `${component.name} sink: ${problems.join('; ')}`);
}
