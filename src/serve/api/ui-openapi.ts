/** The UI's routes (ui-routes.ts, dashboard-routes.ts, and the run event stream of run-events.ts) in the server's OpenAPI document (`GET /openapi.json`). */
type Json = Record<string, unknown>;

const json = (description: string, schema: Json = { type: 'object' }): Json => ({ description, content: { 'application/json': { schema } } });
const failure = (description: string): Json => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const int = { type: 'integer', minimum: 0 };

const position = { type: 'object', required: ['partition', 'offset'], properties: { partition: int, offset: int } };

const dashboardName = { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' } };
const chart = {
  type: 'object',
  required: ['title', 'sql', 'kind'],
  properties: { title: { type: 'string' }, sql: { type: 'string', maxLength: 20000 }, kind: { enum: ['bar', 'line', 'area', 'pie', 'scatter', 'table', 'number'] }, x: { type: 'string' }, y: { type: 'string' } },
};

const lakeTable = [
  { name: 'zone', in: 'path', required: true, schema: { enum: ['processed', 'curated'] } },
  { name: 'table', in: 'path', required: true, schema: { type: 'string' } },
  { name: 'snapshot', in: 'query', schema: int, description: 'A snapshot id (time travel); default the newest.' },
];

export function uiOpenApiPaths(): Record<string, Json> {
  return {
    '/api/ui/metrics': {
      get: {
        operationId: 'uiMetrics',
        tags: ['ui'],
        summary: "The last hour of the process's own metrics, sampled from its registry every 5 s and kept in memory: counters as rates per second, gauges as values, histograms as observations per second and p50/p95/p99",
        responses: { '200': json('{ everyMs, keepMs, times: [ms], metrics: [{ name, help, type, series: [{ id, labels, stat, values: [n | null] }] }], droppedSeries, memoryBytes, prometheusUrl? }') },
      },
    },
    '/api/ui/metrics/events': {
      get: {
        operationId: 'uiMetricsEvents',
        tags: ['ui'],
        summary: 'Each new point of every derived series as it is taken, as server-sent events (event: metrics, data: { at, values: { <series id>: n | null } })',
        responses: { '200': { description: 'An event stream that lasts until the client or the server closes it.', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
      },
    },
    '/api/ui/lake': {
      get: {
        operationId: 'uiLake',
        tags: ['ui'],
        summary: 'The lake\'s zones and their DuckLake tables, with rows, data files, bytes and how many snapshots touched each; current is the newest snapshot',
        responses: { '200': json('{ current, zones: [{ zone, tables: [{ zone, name, rows, files, bytes, snapshots, lastChanged }] }] }'), '503': failure('LAKE_UNAVAILABLE: the catalog could not be attached; retry.') },
      },
    },
    '/api/ui/lake/{zone}/{table}': {
      get: {
        operationId: 'uiLakeTable',
        tags: ['ui'],
        summary: 'One table at a snapshot: schema, partitioning and partitions, data files with their sizes (at most 200 listed), and the snapshots that touched it, newest first',
        parameters: lakeTable,
        responses: {
          '200': json('{ zone, name, snapshot, current, rows, columns, partitionBy, partitions, files, filesTotal, bytesTotal, snapshots }'),
          '400': failure('CLI_USAGE: a zone other than processed or curated, or a snapshot that is not a whole number.'),
          '404': failure('LAKE_NOT_FOUND: no such table, not at that snapshot, or no such snapshot.'),
        },
      },
    },
    '/api/ui/lake/{zone}/{table}/rows': {
      get: {
        operationId: 'uiLakeRows',
        tags: ['ui'],
        summary: 'At most 100 rows of a table at a snapshot (time travel), read-only',
        parameters: [...lakeTable, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 100 } }],
        responses: {
          '200': json('{ snapshot, columns: [{ name, type }], rows: [[…]], truncated }'),
          '400': failure('CLI_USAGE: a bad zone, snapshot or limit.'),
          '404': failure('LAKE_NOT_FOUND: no such table, not at that snapshot, or no such snapshot.'),
        },
      },
    },
    '/api/ui/graph': {
      get: {
        operationId: 'uiGraph',
        tags: ['ui'],
        summary: 'The loaded pipelines as a graph: nodes (sources, topics, jobs, tables, lake datasets, views) and edges, with the part and count each edge shows',
        responses: { '200': json('Nodes and edges.', { type: 'object', required: ['nodes', 'edges'], properties: { nodes: { type: 'array', items: { type: 'object' } }, edges: { type: 'array', items: { type: 'object' } } } }) },
      },
    },
    '/api/ui/history': {
      get: {
        operationId: 'uiHistory',
        tags: ['ui'],
        summary: 'Recent samples (every 2 s, the last 10 minutes) of each part\'s state and counts and each consumer group\'s lag',
        responses: { '200': json('The samples, oldest first.') },
      },
    },
    '/api/ui/events': {
      get: {
        operationId: 'uiEvents',
        tags: ['ui'],
        summary: 'Each new sample as it is taken, as server-sent events (event: sample, data: the sample as JSON)',
        responses: { '200': { description: 'An event stream that lasts until the client or the server closes it.', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
      },
    },
    '/api/ui/topics/{topic}/messages': {
      get: {
        operationId: 'uiMessages',
        tags: ['ui'],
        summary: 'One page of a partition from an offset, filtered on the server by key and by the value at a JSON path; at most 20,000 records are read per page',
        parameters: [
          { name: 'topic', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'partition', in: 'query', schema: { ...int, default: 0 } },
          { name: 'offset', in: 'query', schema: { ...int, default: 0 } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
          { name: 'key', in: 'query', schema: { type: 'string' }, description: 'Only records with this key.' },
          { name: 'path', in: 'query', schema: { type: 'string', pattern: '^\\$(\\.[A-Za-z_][A-Za-z0-9_]*)+$' }, description: 'A JSON path of fields, e.g. $.user.country; with equals.' },
          { name: 'equals', in: 'query', schema: { type: 'string' }, description: 'The value at path, as text.' },
        ],
        responses: {
          '200': json('The records, where the next page starts (next), how many were read (scanned), and whether the partition was read to its end (atEnd).'),
          '400': failure('A parameter that does not fit.'),
          '404': failure('No such topic or partition.'),
        },
      },
    },
    '/api/ui/topics/{topic}/offset': {
      get: {
        operationId: 'uiOffsetForTime',
        tags: ['ui'],
        summary: 'The offset of the first record of a partition at or after a time (the end offset when none is), for browsing messages from a time',
        parameters: [
          { name: 'topic', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'partition', in: 'query', schema: { ...int, default: 0 } },
          { name: 'time', in: 'query', required: true, schema: { type: 'string' }, description: 'ISO 8601 (2026-12-03T10:00:00Z) or milliseconds since 1970.' },
        ],
        responses: { '200': json('{ topic, partition, time, offset }'), '400': failure('A partition or time that does not parse.'), '404': failure('No such topic or partition.') },
      },
    },
    '/api/ui/sql': {
      post: {
        operationId: 'uiSql',
        tags: ['ui'],
        summary: 'Run one SELECT over the lake\'s tables on a read-only DuckDB with external access off and its configuration locked; at most 10,000 rows, 15 s, 512 MB',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['sql'], properties: { sql: { type: 'string', maxLength: 20000 } } } } } },
        responses: {
          '200': json('{ columns: [{ name, type }], rows: [[…]], truncated, elapsedMs }'),
          '400': failure('SQL_REFUSED (not one SELECT, too long), SQL_FAILED (DuckDB\'s error), SQL_TIMEOUT.'),
          '503': failure('The lake\'s catalog could not be attached (a batch run may hold it); retry.'),
        },
      },
    },
    '/api/ui/sql/tables': {
      get: { operationId: 'uiSqlTables', tags: ['ui'], summary: 'The tables and columns the SQL explorer can read', responses: { '200': json('{ tables: [{ schema, name, columns: [{ name, type }] }] }') } },
    },
    '/api/ui/dead-letters': {
      get: { operationId: 'uiDeadLetters', tags: ['ui'], summary: 'Records replayed so far by this process, per dead-letter topic', responses: { '200': json('{ replayed: { <topic>: n } }') } },
    },
    '/api/ui/dead-letters/{topic}/replay': {
      post: {
        operationId: 'uiReplay',
        tags: ['ui'],
        summary: 'Send chosen dead letters back to the topic they came from; answers requested = replayed + missing',
        parameters: [{ name: 'topic', in: 'path', required: true, schema: { type: 'string', pattern: '\\.dlq$' } }],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['positions'], properties: { positions: { type: 'array', minItems: 1, maxItems: 1000, items: position } } } } } },
        responses: {
          '200': json('What was replayed and where it went, and the positions that could not be (missing, each with its reason).'),
          '400': failure('No positions, more than 1,000, or not a dead-letter topic.'),
          '404': failure('No such topic.'),
        },
      },
    },
    '/api/runs/{id}/events': {
      get: {
        operationId: 'runEvents',
        tags: ['ui'],
        summary: 'One run\'s detail (the run, its tasks, every attempt with its log lines) as server-sent events (event: run), sent at once and on each change, ending once the run has finished',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'An event stream of RunDetail as JSON.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          '404': failure('ORCHESTRATOR_RUN_NOT_FOUND.'),
        },
      },
    },
    '/api/ui/dashboards': {
      get: { operationId: 'uiDashboards', tags: ['ui'], summary: 'The pipelines\' declared dashboards and the saved ones', responses: { '200': json('{ declared: [{ pipeline, name, title, charts }], saved: [{ name, title, charts, updated }] }') } },
    },
    '/api/ui/dashboards/{name}': {
      put: {
        operationId: 'uiSaveDashboard',
        tags: ['ui'],
        summary: 'Save a dashboard (insert or replace) in the metadata store',
        parameters: [dashboardName],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['title', 'charts'], properties: { title: { type: 'string', minLength: 1, maxLength: 200 }, charts: { type: 'array', maxItems: 50, items: chart } } } } } },
        responses: { '200': json('The dashboard as stored, with updated.'), '400': failure('DASHBOARD_INVALID, naming the field.') },
      },
      delete: {
        operationId: 'uiDeleteDashboard',
        tags: ['ui'],
        summary: 'Delete a saved dashboard',
        parameters: [dashboardName],
        responses: { '200': json('{ name, deleted: true }'), '404': failure('DASHBOARD_NOT_FOUND.') },
      },
    },
  };
}
