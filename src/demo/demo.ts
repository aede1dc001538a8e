/**
 * `tributary demo`: the Pinterest pipeline end to end in one process, on whatever backends the
 * config names (embedded by default, so nothing but this process and the sample data is needed):
 *
 *   emulator ─HTTP─► ingest API ─► log topic pinterest.pins ─┬─► stream job (cleanPin) ─► view pinterest_pins
 *                                                             └─► archiver ─► lake raw zone
 *
 * Lifecycle: everything starts; the emulator posts pins until the duration is up or the signal
 * aborts; then, in order, the server stops taking requests, the job reads up to the end of the topic
 * (or gives up after `drainTimeoutMs`), the job and the archiver stop (committing what they hold),
 * and the log and lake close. A failure of any part stops the others and is rethrown.
 *
 * Everything lives under `dataDir`, so a second run continues: the topic keeps its records, the job
 * resumes from the positions in the view, the archiver from the lake's catalog, and the totals
 * (demo-counts.ts) carry on from there.
 */
import type { Writable } from 'node:stream';
import { runArchiver, type ArchiverTotals } from '../batch/archiver.ts';
import type { Config } from '../config/schema.ts';
import { openLake } from '../lake/open-lake.ts';
import { openLog } from '../log/open-log.ts';
import type { Logger } from '../logger.ts';
import { ingestRoutes } from '../serve/ingest/ingest-routes.ts';
import { createServer, listen, serverPlugin } from '../serve/server.ts';
import { createSink } from '../sinks/create-sink.ts';
import { runPinterestEmulator, type EmulatorTotals } from '../sources/emulators/pinterest.ts';
import { deadLetterTopic } from '../stream/dead-letter.ts';
import { runStreamJob, type JobCounts } from '../stream/runner.ts';
import { durableTotals, progressLine, topicRecords, type DemoTotals } from './demo-counts.ts';
import { PIN_JOB, pinterestJob } from './pinterest-job.ts';
import { PIN_TOPIC, pinRow, pinTopic, pinsTable } from './pinterest.ts';

export interface DemoOptions {
  config: Readonly<Config>;
  /** Resolves a relative dataDir. */
  cwd: string;
  logger: Logger;
  /** Progress lines: redrawn in place on a terminal, one per second otherwise. */
  out: Writable & { isTTY?: boolean };
  signal?: AbortSignal;
  /** Events per second from the emulator. */
  rate: number;
  durationMs?: number;
  /** Overrides server.port; 0 picks a free one. */
  port?: number;
  pinsFile?: string;
  /** How long the job may take to catch up with the topic after the emulator stopped; default 30 s. */
  drainTimeoutMs?: number;
  /** Print progress every this many ms; default 1000. */
  progressMs?: number;
}

export interface DemoSummary {
  url: string;
  elapsedMs: number;
  /** This run. */
  run: { sent: number; accepted: number; in: number; out: number; filtered: number; deadLettered: number; archived: number };
  /** Since the first run, from durable state. */
  totals: DemoTotals & { viewRows: number };
  drained: boolean;
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { config, logger } = options;
  const started = performance.now();
  const onWarning = (message: string, details: Record<string, unknown>) => logger.warn(details, message);
  const log = await openLog(config, { cwd: options.cwd, onWarning });
  const lake = await openLake(config, { cwd: options.cwd }).catch(async (error: unknown) => {
    await log.close();
    throw error;
  });
  const dlq = deadLetterTopic(PIN_JOB);
  const sinkFor = () => createSink(config, pinsTable, { job: PIN_JOB }, { cwd: options.cwd });
  // A second handle on the view, for counting; the job opens and closes its own.
  const view = sinkFor();
  const stop = new AbortController();
  const stopJob = new AbortController();
  const stopArchiver = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let ticker: NodeJS.Timeout | undefined;
  let failure: unknown;
  const fail = (error: unknown) => {
    failure ??= error;
    stop.abort();
  };

  try {
    await view.open();
    const base = await durableTotals(log, view, PIN_TOPIC, dlq);
    let ingested = 0;
    let jobCounts: JobCounts = { in: 0, out: 0, filtered: 0, deadLettered: 0, steps: new Map() };
    const app = createServer({
      server: config.server,
      logger,
      plugins: [serverPlugin(ingestRoutes, { log, topics: { [PIN_TOPIC]: pinTopic }, apiKeyRequired: config.server.apiKey !== undefined, onAccepted: (_topic, n) => (ingested += n) })],
    });
    const url = await listen(app, config.server.host, options.port ?? config.server.port);
    logger.info({ url, dataDir: config.dataDir, rate: options.rate }, `demo: ingest API on ${url}; Ctrl-C stops`);

    const { kind: _kind, output: _output, ...job } = pinterestJob;
    const jobRun = runStreamJob({ ...job, output: { kind: 'table', sink: sinkFor(), row: pinRow } }, { log, signal: stopJob.signal, onWarning, onBatch: (counts) => (jobCounts = counts) });
    jobRun.catch(fail);
    let archived = 0;
    // The archiver (src/batch/archiver.ts) copies the raw topic into the lake's raw zone.
    const archiverRun: Promise<ArchiverTotals> = runArchiver({ log, lake, topics: [PIN_TOPIC], signal: stopArchiver.signal, logger, rollMs: 10_000, onFile: (file) => (archived += file.rows) });
    archiverRun.catch(fail);

    const totals = (): DemoTotals => ({
      accepted: base.accepted + ingested,
      in: base.in + jobCounts.in,
      out: base.out + jobCounts.out,
      filtered: base.filtered + jobCounts.filtered,
      deadLettered: base.deadLettered + jobCounts.deadLettered,
    });
    let last = { at: performance.now(), accepted: 0, in: 0 };
    const tty = options.out.isTTY === true;
    const print = (final: boolean) => {
      const now = performance.now();
      const seconds = Math.max(0.001, (now - last.at) / 1000);
      const rates = { accepted: Math.round((ingested - last.accepted) / seconds), in: Math.round((jobCounts.in - last.in) / seconds) };
      last = { at: now, accepted: ingested, in: jobCounts.in };
      const line = progressLine((now - started) / 1000, totals(), rates);
      options.out.write(tty ? `\r\x1b[2K${line}${final ? '\n' : ''}` : `${line}\n`);
    };
    ticker = setInterval(() => print(false), options.progressMs ?? 1000);

    let emulated: EmulatorTotals = { sent: 0, accepted: 0, requests: 0, retries: 0, elapsedMs: 0 };
    try {
      emulated = await runPinterestEmulator({
        url,
        rate: options.rate,
        signal,
        ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
        ...(options.pinsFile === undefined ? {} : { pinsFile: options.pinsFile }),
        ...(config.server.apiKey === undefined ? {} : { apiKey: config.server.apiKey }),
      });
    } catch (error) {
      fail(error);
    }
    await app.close();

    // Drain: the job reads up to the end of the topic before it stops.
    const end = await topicRecords(log, PIN_TOPIC);
    const deadline = performance.now() + (options.drainTimeoutMs ?? 30_000);
    while (failure === undefined && base.in + jobCounts.in < end && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const drained = base.in + jobCounts.in >= end;
    if (!drained && failure === undefined) logger.warn({ behind: end - base.in - jobCounts.in }, 'demo: the job did not catch up with the topic in time; it resumes there on the next run');
    stopJob.abort();
    stopArchiver.abort();
    const [jobResult, archiverResult] = await Promise.allSettled([jobRun, archiverRun]);
    clearInterval(ticker);
    ticker = undefined;
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error(`demo failed: ${JSON.stringify(failure)}`);
    if (jobResult.status === 'fulfilled') jobCounts = jobResult.value;
    if (archiverResult.status === 'fulfilled') archived = archiverResult.value.records;
    print(true);

    const after = await durableTotals(log, view, PIN_TOPIC, dlq);
    return {
      url,
      elapsedMs: performance.now() - started,
      drained,
      run: { sent: emulated.sent, accepted: ingested, in: jobCounts.in, out: jobCounts.out, filtered: jobCounts.filtered, deadLettered: jobCounts.deadLettered, archived },
      totals: { ...totals(), viewRows: after.out },
    };
  } finally {
    if (ticker) clearInterval(ticker);
    stop.abort();
    stopJob.abort();
    stopArchiver.abort();
    await view.close();
    await lake.close();
    await log.close();
  }
}
