/**
 * A field count as pipeline parts: `fieldCounts({ name, topic, field })` gives the merged view
 * (`views`) and the two services that feed it (`services`): the speed half, a stream job keeping
 * running counts per offset bucket, and the batch half, a recount of the raw zone on a schedule
 * (default every minute). Declare both in the pipeline:
 *
 * ```ts
 * const perCategory = fieldCounts({ name: 'posts-per-category', topic: 'pinterest.pins', field: 'category', countColumn: 'posts' });
 * export default definePipeline({ name: 'pinterest', views: [perCategory.view], services: perCategory.services, … });
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TributaryError } from '../errors.ts';
import { recomputeFieldCounts, type WithTables } from '../serve/query/field-counts-batch.ts';
import { runFieldCounts } from '../serve/query/field-counts-stream.ts';
import { fieldCountsView } from '../serve/query/field-counts-view.ts';
import { checkField, realtimeTable, type FieldCountsOptions } from '../serve/query/field-counts.ts';
import type { PipelineContext, ServiceDeclaration, ViewDeclaration } from './pipeline.ts';

function tablesOf(ctx: PipelineContext, view: string): WithTables {
  const withTables = ctx.withTables?.bind(ctx);
  if (!withTables) throw new TributaryError('INTERNAL', `Field count "${view}": this context has no lake tables (ctx.withTables), where its batch view lives`);
  return withTables;
}

export interface FieldCountsDeclaration extends FieldCountsOptions {
  description?: string;
  /** How often the batch half recounts the raw zone; default 60 s. */
  recomputeEveryMs?: number;
}

export interface FieldCountsParts {
  view: ViewDeclaration;
  services: ServiceDeclaration[];
}

export function fieldCounts(declaration: FieldCountsDeclaration): FieldCountsParts {
  checkField(declaration.field);
  const { description, recomputeEveryMs = 60_000, ...options } = declaration;
  const table = realtimeTable(options);
  return {
    view: {
      name: options.name,
      description: description ?? `records of ${options.topic} per ${options.field}`,
      create: (ctx) => fieldCountsView(options, { lake: ctx.lake, withTables: tablesOf(ctx, options.name), sink: ctx.sinkFor(table, `${options.name}.view`), ...(description ? { description } : {}) }),
    },
    services: [
      {
        name: `${options.name}.stream`,
        description: `counts ${options.topic} per ${options.field} as records arrive (the view's real-time half)`,
        run: async (ctx, signal) => {
          const sink = ctx.sinkFor(table, options.name);
          try {
            await runFieldCounts(options, { log: ctx.log, sink, signal });
          } finally {
            await sink.close();
          }
        },
      },
      {
        name: `${options.name}.batch`,
        description: `recounts the raw zone's ${options.topic} every ${recomputeEveryMs / 1000} s (the view's batch half)`,
        run: async (ctx, signal) => {
          while (!signal.aborted) {
            await sleep(recomputeEveryMs, undefined, { signal }).catch(() => undefined);
            if (signal.aborted) return;
            await recomputeFieldCounts(ctx.lake, tablesOf(ctx, options.name), options);
          }
        },
      },
    ],
  };
}
