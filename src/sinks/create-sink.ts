/**
 * The sink the config names: the registry of sink components, and the mapping from the config's
 * engine blocks to each component's options. Importing this module loads no driver; a sink loads
 * its driver in `open()`.
 */
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { cassandraSink } from './cassandra/cassandra-sink.ts';
import { embeddedSink } from './embedded/embedded-sink.ts';
import { postgresSink } from './postgres/postgres-sink.ts';
import type { Sink, SinkContext, TableSpec } from './sink.ts';
import { sinkOptions } from './sink-component.ts';

export const sinkComponents = { embedded: embeddedSink, postgres: postgresSink, cassandra: cassandraSink } as const;

export interface CreateSinkOptions {
  /** Resolves a relative `dataDir`; default: the working directory. */
  cwd?: string;
}

/** A sink for `spec` on the backend `config.sinks.backend` names; not yet open. */
export function createSink(config: Readonly<Config>, spec: TableSpec, ctx: SinkContext, options: CreateSinkOptions = {}): Sink {
  switch (config.sinks.backend) {
    case 'postgres': {
      const { url, password, schema } = config.postgres;
      return postgresSink.create(spec, ctx, sinkOptions(postgresSink, { url: url ?? '', schema, ...(password === undefined ? {} : { password }) }));
    }
    case 'cassandra': {
      const { contactPoints, datacenter, keyspace, username, password } = config.cassandra;
      return cassandraSink.create(spec, ctx, sinkOptions(cassandraSink, { contactPoints: contactPoints ?? [], datacenter, keyspace, ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }) }));
    }
    case 'embedded':
      return embeddedSink.create(spec, ctx, sinkOptions(embeddedSink, { dir: path.resolve(options.cwd ?? process.cwd(), config.dataDir, 'views') }));
  }
}
