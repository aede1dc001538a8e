/**
 * The watermark of one partition of a repartition topic, as the least progress of the input
 * partitions that feed it (Flink's per-channel minimum).
 *
 * Records of every input partition interleave in a repartition partition. If its watermark followed
 * the records alone, an input partition that falls behind (its worker was killed and the group has
 * not handed it over yet) would find its records late once it resumes. Instead, stage 1 sends
 * markers to every repartition partition: "input partition X has sent everything up to event time
 * T", or "X is caught up and quiet" (idle). The watermark is the least T over the input partitions
 * that are not idle, less the allowed out-of-orderness, so a stalled input holds every window open
 * until its new owner has caught up. Only the owner of an input partition can say it is idle, so a
 * dead owner's partitions never are.
 *
 * The state is plain JSON and goes into the windows stage's checkpoint, so a worker that takes the
 * partition over continues from the same view and replays the markers after it.
 */
export interface SourceMark {
  /** Largest event time the input partition has sent; null before its first record. */
  max: number | null;
  idle: boolean;
}

export type SourceMarksSnapshot = Record<string, SourceMark>;

export class SourceWatermarks {
  readonly #outOfOrderness: number;
  readonly #marks = new Map<number, SourceMark>();
  #current = Number.NEGATIVE_INFINITY;

  /** `inputs`: the input topic's partition count; each holds the watermark back until heard from. */
  constructor(inputs: number, outOfOrdernessMs: number, snapshot?: SourceMarksSnapshot) {
    this.#outOfOrderness = outOfOrdernessMs;
    for (let from = 0; from < inputs; from++) this.#marks.set(from, { max: null, idle: false });
    for (const [from, mark] of Object.entries(snapshot ?? {})) this.#marks.set(Number(from), { ...mark });
  }

  /** A record or a progress marker from input partition `from`, with event time `time`. */
  observe(from: number, time: number): void {
    const mark = this.#marks.get(from);
    if (mark === undefined) this.#marks.set(from, { max: time, idle: false });
    else {
      mark.max = mark.max === null ? time : Math.max(mark.max, time);
      mark.idle = false;
    }
  }

  /** Input partition `from` is caught up and has had no record for a while. */
  idle(from: number): void {
    const mark = this.#marks.get(from);
    if (mark === undefined) this.#marks.set(from, { max: null, idle: true });
    else mark.idle = true;
  }

  /**
   * The least progress over the inputs that are not idle, less the out-of-orderness. An idle input
   * has delivered everything it has, so it holds nothing back; when every input is idle, the
   * watermark is the greatest progress any input made (Kafka Streams' stream time), so the windows
   * of a paused stream fire. A record that an idle input sends later below it is late. It never
   * goes back.
   */
  current(): number {
    let active = Number.POSITIVE_INFINITY;
    let anyActive = false;
    let seen = Number.NEGATIVE_INFINITY;
    for (const mark of this.#marks.values()) {
      const at = mark.max === null ? Number.NEGATIVE_INFINITY : mark.max - this.#outOfOrderness;
      if (mark.max !== null) seen = Math.max(seen, at);
      if (mark.idle) continue;
      anyActive = true;
      active = Math.min(active, at);
    }
    this.#current = Math.max(this.#current, anyActive ? active : seen);
    return this.#current;
  }

  snapshot(): SourceMarksSnapshot {
    return Object.fromEntries([...this.#marks].map(([from, mark]) => [String(from), { ...mark }]));
  }
}
