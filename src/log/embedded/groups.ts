/**
 * Consumer groups of the embedded log, within one process: membership, the assignment of partitions
 * to members (round-robin per topic, in join order; recomputed when a member joins or leaves or a
 * topic appears), and committed offsets, one JSON file per group written atomically.
 */
import { mkdir, open, readFile, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { RecordPosition, TopicPartition } from '../log.ts';

export interface GroupMember {
  readonly topics: readonly string[];
  /** Called with the member's new partitions whenever the assignment changes. */
  assign(partitions: TopicPartition[]): void;
}

/** Committed offsets of one group: topic → partition → next offset to read. */
export type Committed = Map<string, Map<number, number>>;

export class Groups {
  private readonly members = new Map<string, GroupMember[]>();
  private readonly committed = new Map<string, Committed>();
  private readonly dir: string;
  private readonly durable: boolean;
  private readonly partitionsOf: (topic: string) => number;

  constructor(dir: string, durable: boolean, partitionsOf: (topic: string) => number) {
    this.dir = dir;
    this.durable = durable;
    this.partitionsOf = partitionsOf;
  }

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const file of await readdir(this.dir)) {
      if (!file.endsWith('.json')) continue;
      const group = decodeURIComponent(file.slice(0, -5));
      const raw = JSON.parse(await readFile(path.join(this.dir, file), 'utf8')) as Record<string, Record<string, number>>;
      this.committed.set(group, new Map(Object.entries(raw).map(([topic, parts]) => [topic, new Map(Object.entries(parts).map(([p, o]) => [Number(p), o]))])));
    }
  }

  join(group: string, member: GroupMember): void {
    this.members.set(group, [...(this.members.get(group) ?? []), member]);
    this.rebalance(group);
  }

  leave(group: string, member: GroupMember): void {
    this.members.set(
      group,
      (this.members.get(group) ?? []).filter((m) => m !== member),
    );
    this.rebalance(group);
  }

  /** A topic was created or deleted: every group may have partitions to hand out or take back. */
  topicsChanged(): void {
    for (const group of this.members.keys()) this.rebalance(group);
  }

  private rebalance(group: string): void {
    const members = this.members.get(group) ?? [];
    const assigned = new Map<GroupMember, TopicPartition[]>(members.map((m) => [m, []]));
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    for (const topic of topics) {
      const subscribers = members.filter((m) => m.topics.includes(topic));
      const count = this.partitionsOf(topic);
      for (let partition = 0; partition < count; partition++) assigned.get(subscribers[partition % subscribers.length]!)!.push({ topic, partition });
    }
    for (const [member, partitions] of assigned) member.assign(partitions);
  }

  committedOffset(group: string, topic: string, partition: number): number | undefined {
    return this.committed.get(group)?.get(topic)?.get(partition);
  }

  committedOf(group: string): Committed {
    return this.committed.get(group) ?? new Map<string, Map<number, number>>();
  }

  private readonly writes = new Map<string, Promise<void>>();

  async commit(group: string, positions: readonly RecordPosition[]): Promise<void> {
    const committed = this.committed.get(group) ?? new Map<string, Map<number, number>>();
    for (const { topic, partition, offset } of positions) {
      const parts = committed.get(topic) ?? new Map<number, number>();
      parts.set(partition, offset);
      committed.set(topic, parts);
    }
    this.committed.set(group, committed);
    // One write per group at a time, each of the newest state: members of a group in this process commit concurrently.
    const write = (this.writes.get(group) ?? Promise.resolve()).catch(() => undefined).then(() => this.persist(group, committed));
    this.writes.set(group, write);
    try {
      await write;
    } finally {
      if (this.writes.get(group) === write) this.writes.delete(group);
    }
  }

  private async persist(group: string, committed: Committed): Promise<void> {
    const json = JSON.stringify(Object.fromEntries([...committed].map(([topic, parts]) => [topic, Object.fromEntries(parts)])));
    const file = path.join(this.dir, `${encodeURIComponent(group)}.json`);
    const temp = `${file}.${process.pid}.tmp`;
    // Write, sync, rename: a crash leaves the old commit or the new one, never half of one.
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(json);
      if (this.durable) await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  }

  /** Forget a deleted topic's commits. */
  dropTopic(topic: string): void {
    for (const committed of this.committed.values()) committed.delete(topic);
  }
}
