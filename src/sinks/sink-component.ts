/**
 * A sink backend as a value: `{ name, create(spec, ctx, options) }`. `create` only checks the spec
 * and the options and builds the sink; nothing connects and no driver loads until `open()`, so
 * importing a component costs nothing.
 */
import type { Sink, SinkContext, TableSpec } from './sink.ts';

export interface SinkComponent<Options> {
  readonly name: string;
  /** Throws SINK_REJECTED for an invalid spec or options. */
  create(spec: TableSpec, ctx: SinkContext, options: Options): Sink;
}
