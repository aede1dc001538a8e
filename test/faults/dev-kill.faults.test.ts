/**
 * SIGKILL of `tributary dev` (the Pinterest example, embedded) while clients post pins: at a seeded
 * moment, with requests in flight. After each restart every acknowledged pin is in the log once, and
 * the table holds exactly what the stream job makes of the log: nothing lost, nothing twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSinkMatchesLog } from './support/check.ts';
import { postPins, startDev, tableIds, type DevProcess } from './support/dev-process.ts';
import { makePins, readTopic } from './support/pins.ts';
import { faultSeeds, plan, seeded } from './support/seeds.ts';
import { sleep, until } from './support/until.ts';

describe('SIGKILL of tributary dev while pins are posted', () => {
  let cwd: string;
  let dev: DevProcess | undefined;
  const acknowledged: string[] = [];

  beforeAll(async () => {
    cwd = await mkdtemp(path.join(tmpdir(), 'tributary-faults-'));
  });
  afterAll(async () => {
    dev?.process.kill('SIGKILL');
    await dev?.process.exited;
    await rm(cwd, { recursive: true, force: true });
  });

  it.each(faultSeeds())('should keep every acknowledged pin once in the log and the table (seed %i)', async (seed) => {
    const random = seeded(seed);
    // The kill lands after a seeded number of acknowledged requests and a seeded delay, so that it
    // always finds posts both done and in flight, however slow the machine.
    const killAfterAcks = 1 + Math.floor(random() * 20);
    const killAfterMs = Math.floor(random() * 300);
    const clients = 1 + Math.floor(random() * 3);
    const perRequest = 1 + Math.floor(random() * 30);
    plan('dev-kill', seed, `${clients} clients post ${perRequest} pins a request; SIGKILL dev ${killAfterMs} ms after the ${killAfterAcks}th acknowledged request; restart`);
    dev ??= await startDev(cwd);
    const running = dev;
    const before = acknowledged.length;
    let stop = false;
    let acks = 0;
    let ackedEnough!: () => void;
    const enough = new Promise<void>((resolve) => (ackedEnough = resolve));
    const post = async () => {
      while (!stop) {
        const pins = makePins(perRequest, random);
        const answer = await postPins(running.url, pins).catch(() => undefined);
        if (answer === undefined) return; // the process is gone
        if (answer.status === 202 || answer.status === 200) {
          acknowledged.push(...pins.map((p) => p.unique_id as string));
          if (++acks === killAfterAcks) ackedEnough();
        }
        else if (answer.status !== 429) throw new Error(`unexpected answer ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
    };
    const posting = Array.from({ length: clients }, post);
    await Promise.race([enough, Promise.all(posting)]);
    await sleep(killAfterMs);
    running.process.kill('SIGKILL');
    stop = true;
    await Promise.all(posting);
    await running.process.exited;

    expect(acknowledged.length, 'pins acknowledged before the kill').toBeGreaterThan(before);
    dev = await startDev(cwd);
    const url = dev.url;
    const logValues = (await readTopic(url, 'pinterest.pins')).map((r) => r.value);
    await until('the table to catch up with the log', async () => ((await tableIds(url)).length >= logValues.length ? true : undefined));
    expectSinkMatchesLog({ logValues, sinkIds: await tableIds(url), acknowledged });
  }, 240_000);
});
