/**
 * The demo's counts. Totals since the first run are read from what is durable, so a second run
 * continues the numbers of the first: accepted = the records in the raw topic, in = the positions
 * the view stores with its rows (exactly-once: every record before them is reflected once),
 * dead-lettered = the records in the job's dead-letter topic, out = the rows of the view (one per
 * pin: ids are fresh UUIDs), filtered = in − out − dead-lettered.
 */
import type { Log } from '../log/log.ts';
import type { Sink } from '../sinks/sink.ts';

export interface DemoTotals {
  accepted: number;
  in: number;
  out: number;
  filtered: number;
  deadLettered: number;
}

/** Records ever appended to `topic` (0 when it does not exist yet). */
export async function topicRecords(log: Log, topic: string): Promise<number> {
  const admin = log.admin();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return (await admin.describeTopic(topic)).partitions.reduce((sum, p) => sum + p.endOffset, 0);
  } finally {
    await admin.close();
  }
}

export async function durableTotals(log: Log, view: Sink, topic: string, deadLetterTopic: string): Promise<DemoTotals> {
  const accepted = await topicRecords(log, topic);
  const deadLettered = await topicRecords(log, deadLetterTopic);
  const positions = (await view.positions()).filter((p) => p.topic === topic);
  const taken = positions.reduce((sum, p) => sum + p.offset, 0);
  const out = (await view.scan()).length;
  return { accepted, in: taken, out, filtered: Math.max(0, taken - out - deadLettered), deadLettered };
}

const n = (value: number) => value.toLocaleString('en-US');

/** One progress line: totals since the first run, and this second's rates. */
export function progressLine(elapsedS: number, totals: DemoTotals, rates: { accepted: number; in: number }): string {
  return [
    `${elapsedS.toFixed(0).padStart(4)}s`,
    `accepted ${n(totals.accepted)} (${n(rates.accepted)}/s)`,
    `job in ${n(totals.in)} (${n(rates.in)}/s) out ${n(totals.out)} filtered ${n(totals.filtered)} dead-lettered ${n(totals.deadLettered)}`,
    `lag ${n(Math.max(0, totals.accepted - totals.in))}`,
  ].join(' · ');
}
