/**
 * The one configuration schema. Defaults and documentation live here; the file, the environment and
 * the command line are merged into this shape (see load.ts), validated once, and frozen.
 *
 * Glossary:
 * - area: a pluggable part of the platform (log, lake, sinks, state, metadata), each with a `backend`.
 * - engine: a real service an area can use (kafka, s3, postgres, cassandra, redis); its connection
 *   settings sit in one block, shared by every area that uses it.
 * - secret: a setting that may only come from the environment, never from a file or a flag.
 */
import { z } from 'zod';

export interface SettingMeta {
  /** Taken only from the environment, and masked wherever the config is printed. */
  secret?: boolean;
}

/** Per-setting metadata, kept beside the schema rather than in zod's global registry. */
export const settingMeta = z.registry<SettingMeta>();

function secret(description: string) {
  return z.string().min(1).optional().describe(description).register(settingMeta, { secret: true });
}

const hostPort = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')
  .describe('host:port');

const url = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

const area = <const T extends readonly [string, ...string[]]>(backends: T, description: string) =>
  z.strictObject({ backend: z.enum(backends).default(backends[0]).describe(description) }).prefault({});

export const configSchema = z
  .strictObject({
    dataDir: z
      .string()
      .min(1)
      .default('.tributary')
      .describe('Directory for everything the embedded backends keep on disk; relative to the working directory.'),
    pipelines: z
      .array(z.string().min(1))
      .default([])
      .describe('Pipeline modules the commands load when none is named: files, or directories holding pipeline.ts; relative to the config file.'),
    logging: z
      .strictObject({
        level: z
          .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
          .default('info')
          .describe('Least severe level written to stderr.'),
      })
      .prefault({}),
    log: z
      .strictObject({
        backend: z.enum(['embedded', 'kafka']).default('embedded').describe('Event log: segment files on local disk, or Apache Kafka.'),
        autoCreateTopics: z.boolean().default(true).describe('Create a topic on first produce; when off, producing to an unknown topic is an error.'),
        defaultPartitions: z.number().int().min(1).max(1024).default(4).describe('Partitions of a topic created automatically.'),
        maxRecordBytes: z.number().int().min(1024).default(1_048_576).describe('Largest record (key, value and headers) accepted, in bytes.'),
        fsync: z
          .enum(['always', 'interval', 'never'])
          .default('interval')
          .describe('Embedded log: when appends reach the disk. always: before each acknowledgement; interval: at once when no other write is waiting, otherwise one fsync every log.fsyncIntervalMs for all that wait, acknowledging after it; never: left to the OS.'),
        fsyncIntervalMs: z.number().int().min(1).default(50).describe('Embedded log: for fsync=interval, how long writes that wait together gather before one fsync acknowledges them.'),
        segmentBytes: z.number().int().min(4096).default(134_217_728).describe('Embedded log: size at which a partition rolls to a new segment file.'),
        readCacheBytes: z
          .number()
          .int()
          .min(0)
          .default(67_108_864)
          .describe('Embedded log: memory for the latest record batches, shared by all partitions, so consumers keeping up read no files; 0 turns it off.'),
        retentionMs: z.number().int().min(0).optional().describe('Embedded log: delete whole segments whose newest record is older than this; unset keeps everything.'),
        retentionBytes: z.number().int().min(0).optional().describe('Embedded log: per partition, delete the oldest whole segments beyond this size; unset keeps everything.'),
      })
      .prefault({}),
    lake: area(['fs', 's3'], 'Data lake: a local directory, or S3 / MinIO.'),
    sinks: area(['embedded', 'postgres', 'cassandra'], 'Table sinks and real-time views.'),
    state: area(['embedded', 'redis'], 'Keyed state and fingerprints.'),
    metadata: area(['embedded', 'postgres'], 'Run history, schedules and leases.'),
    orchestrator: z
      .strictObject({
        leaseMs: z.number().int().min(100).default(30_000).describe('A task attempt whose worker stops renewing its lease for this long is failed and retried by its policy.'),
        sweepMs: z.number().int().min(10).default(5000).describe('How often the leading scheduler fails expired leases and dispatches lost attempts again.'),
        concurrency: z.number().int().min(1).max(1000).optional().describe('Task attempts run at once per process; unset: 8 embedded, 10 on PostgreSQL.'),
      })
      .prefault({}),
    batch: z
      .strictObject({
        threads: z.number().int().min(1).max(64).default(2).describe('Worker threads DuckDB uses for a batch run.'),
        memoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/, 'expected a size such as 2GB').optional().describe("DuckDB's memory limit for a batch run, e.g. 2GB; unset: DuckDB's default (80% of RAM)."),
        errorBudget: z.number().min(0).optional().describe('Malformed rows a batch run may quarantine and still publish: below 1 a fraction of the rows read, from 1 a count; unset: the job\'s own budget.'),
        schemaDrift: z.enum(['fail', 'evolve']).optional().describe("What a batch run does when an input file has columns added or missing: fail, or evolve (keep new columns, null missing ones); unset: the job's own policy."),
      })
      .prefault({}),
    kafka: z
      .strictObject({
        brokers: z.array(hostPort).min(1).optional().describe('Bootstrap brokers, host:port; comma-separated in the environment.'),
        clientId: z.string().min(1).default('tributary').describe('Client id sent to the brokers.'),
        sessionTimeoutMs: z.number().int().min(6_000).max(300_000).default(15_000).describe('How long a consumer group waits for a member that stopped heartbeating (a killed worker) before giving its partitions to the others; a closed member leaves at once. The broker bounds it with group.min/max.session.timeout.ms (6 s to 30 min by default).'),
        saslMechanism: z.enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']).optional().describe('SASL mechanism, when the cluster needs one.'),
        saslUsername: z.string().min(1).optional().describe('SASL user name.'),
        saslPassword: secret('SASL password.'),
      })
      .prefault({}),
    s3: z
      .strictObject({
        endpoint: url(['http:', 'https:']).optional().describe('S3 endpoint; leave unset for AWS, set it for MinIO.'),
        region: z.string().min(1).default('us-east-1').describe('Region for request signing.'),
        bucket: z.string().min(3).default('tributary').describe('Bucket holding the lake zones.'),
        forcePathStyle: z.boolean().default(true).describe('Path-style addressing (MinIO needs it).'),
        accessKeyId: secret('Access key id.'),
        secretAccessKey: secret('Secret access key.'),
      })
      .prefault({}),
    postgres: z
      .strictObject({
        url: url(['postgres:', 'postgresql:']).optional().describe('Connection URL, postgres://user@host:port/db; put the password in postgres.password.'),
        password: secret('Password for the user in postgres.url.'),
        schema: z.string().min(1).default('public').describe('Schema for the tables Tributary creates.'),
      })
      .prefault({}),
    cassandra: z
      .strictObject({
        contactPoints: z.array(hostPort).min(1).optional().describe('Contact points, host:port; comma-separated in the environment.'),
        datacenter: z.string().min(1).default('datacenter1').describe('Local data center for the load-balancing policy.'),
        keyspace: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'expected a lower-case CQL identifier').default('tributary').describe('Keyspace for sink tables.'),
        username: z.string().min(1).optional().describe('User name, when authentication is on.'),
        password: secret('Password for cassandra.username.'),
      })
      .prefault({}),
    redis: z
      .strictObject({
        url: url(['redis:', 'rediss:']).optional().describe('Connection URL, redis://host:port/db.'),
        password: secret('Password (AUTH).'),
        keyPrefix: z.string().default('tributary:').describe('Prefix for every key Tributary writes.'),
      })
      .prefault({}),
    metrics: z
      .strictObject({
        prometheusUrl: url(['http:', 'https:']).optional().describe("The Prometheus that scrapes this process's /metrics, e.g. http://127.0.0.1:9090; the UI's Metrics page links each metric to it."),
      })
      .prefault({}),
    server: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1').describe('Address the HTTP server (ingest API, query API, UI, metrics) binds to.'),
        port: z.number().int().min(0).max(65535).default(8080).describe('Port of the HTTP server; 0 picks a free one.'),
        apiKey: secret('API key the ingest API and UI require; mandatory when server.host is not loopback, and then at least 16 characters, not counting blanks.'),
        bodyLimitBytes: z.number().int().min(1024).default(1_048_576).describe('Largest request body accepted (one ingest request, JSON or NDJSON); larger ones get 413.'),
        maxRecordsPerRequest: z
          .number()
          .int()
          .min(1)
          .default(10_000)
          .describe('Most records one ingest request may hold (NDJSON lines); more get 413 before any is parsed. Bounds the work one request can cause.'),
        rateLimitMax: z.number().int().min(0).default(100).describe('Requests allowed per client (its API key, or its IP without one) per server.rateLimitWindowMs; more get 429. 0 turns the limit off.'),
        rateLimitWindowMs: z.number().int().min(1).default(1000).describe('The window of server.rateLimitMax, in ms.'),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    // Settings a chosen backend cannot work without.
    const need = (path: string[], present: unknown, why: string) => {
      if (present === undefined) ctx.addIssue({ code: 'custom', path, message: `required when ${why}` });
    };
    if (config.log.backend === 'kafka') need(['kafka', 'brokers'], config.kafka.brokers, 'log.backend is "kafka"');
    if (config.lake.backend === 's3') {
      need(['s3', 'accessKeyId'], config.s3.accessKeyId, 'lake.backend is "s3"');
      need(['s3', 'secretAccessKey'], config.s3.secretAccessKey, 'lake.backend is "s3"');
    }
    if (config.sinks.backend === 'postgres') need(['postgres', 'url'], config.postgres.url, 'sinks.backend is "postgres"');
    else if (config.metadata.backend === 'postgres') need(['postgres', 'url'], config.postgres.url, 'metadata.backend is "postgres"');
    if (config.sinks.backend === 'cassandra') need(['cassandra', 'contactPoints'], config.cassandra.contactPoints, 'sinks.backend is "cassandra"');
    if (config.state.backend === 'redis') need(['redis', 'url'], config.redis.url, 'state.backend is "redis"');
    if (config.kafka.saslMechanism) need(['kafka', 'saslPassword'], config.kafka.saslPassword, 'kafka.saslMechanism is set');
    if (!isLoopback(config.server.host)) {
      const why = `server.host (${config.server.host}) is not a loopback address`;
      need(['server', 'apiKey'], config.server.apiKey, why);
      const key = config.server.apiKey;
      // Header values arrive trimmed, so a key with a blank at either end could never be presented.
      if (key !== undefined && (key.trim() !== key || key.replace(/\s/g, '').length < MIN_EXPOSED_API_KEY_LENGTH)) {
        ctx.addIssue({ code: 'custom', path: ['server', 'apiKey'], message: `must be at least ${MIN_EXPOSED_API_KEY_LENGTH} characters, not counting blanks, with no blank at either end, when ${why}` });
      }
    }
  });

/** The shortest API key a server bound beyond loopback accepts (blanks not counted). */
export const MIN_EXPOSED_API_KEY_LENGTH = 16;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The resolved, validated configuration. */
export type Config = z.output<typeof configSchema>;
/** What a config file may contain: every setting optional, defaults filled in on load. */
export type ConfigInput = z.input<typeof configSchema>;

/** Identity function that gives a `tributary.config.ts` its types. */
export function defineConfig(config: ConfigInput): ConfigInput {
  return config;
}
