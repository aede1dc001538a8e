import { describe, expect, it } from 'vitest';
import { cassandraSink } from '../../src/sinks/cassandra/cassandra-sink.ts';
import { embeddedSink } from '../../src/sinks/embedded/embedded-sink.ts';
import { postgresSink } from '../../src/sinks/postgres/postgres-sink.ts';
import { sinkOptions } from '../../src/sinks/sink-component.ts';

describe('sink components', () => {
  it('should check options against their schema, naming each bad setting', () => {
    expect(sinkOptions(embeddedSink, { dir: '/tmp/views' })).toEqual({ dir: '/tmp/views' });
    expect(() => sinkOptions(postgresSink, { url: 'mysql://x' })).toThrow(/postgres sink: url: expected a URL starting with postgres:\/\//);
    expect(() => sinkOptions(cassandraSink, { contactPoints: ['nohost'], datacenter: 'dc1', keyspace: 'Bad-Name' })).toThrow(/cassandra sink: contactPoints\.0: expected host:port; keyspace: expected a lower-case CQL identifier/);
    expect(() => sinkOptions(embeddedSink, { dir: '/tmp/views', extra: 1 })).toThrow(/embedded sink: \(options\): Unrecognized key/);
  });
});
