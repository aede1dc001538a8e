/**
 * The Pinterest example's stream job on two `tributary worker` processes, on Kafka into PostgreSQL
 * (private instances: see support/private-services.ts), while pins are produced: a worker is SIGKILLed
 * and restarted, PostgreSQL is stopped and started, Kafka is stopped and started, each at a seeded
 * moment and for a seeded time. After each fault the table must hold exactly what the job makes of
 * the topic: nothing lost, nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePins } from './support/pins.ts';
import { startPrivateServices, type PrivateService, type PrivateServices } from './support/private-services.ts';
import { faultSeeds, plan, seeded } from './support/seeds.ts';
import { sleep } from './support/until.ts';
import { startWorkers, type WorkerSet } from './support/workers.ts';

describe('faults under two workers on Kafka and PostgreSQL', () => {
  let services: PrivateServices;
  let workers: WorkerSet;
  const acknowledged: string[] = [];

  beforeAll(async () => {
    services = await startPrivateServices(['postgres', 'kafka']);
    workers = await startWorkers(services.env);
  }, 300_000);
  afterAll(async () => {
    await workers?.close();
    await services?.close();
  }, 120_000);

  /** Produces pins in the background until `fault` has run, then checks the table against the topic. */
  const underLoad = async (random: () => number, fault: () => Promise<void>) => {
    let stop = false;
    const before = acknowledged.length;
    const producing = (async () => {
      while (!stop) {
        const pins = makePins(1 + Math.floor(random() * 50), random);
        await workers.produce(pins);
        acknowledged.push(...pins.map((p) => p.unique_id as string));
        await sleep(20);
      }
    })();
    await fault();
    stop = true;
    await producing;
    expect(acknowledged.length, 'pins produced around the fault').toBeGreaterThan(before);
    await workers.expectConverged(acknowledged);
  };

  it.each(faultSeeds())('a worker SIGKILLed and restarted (seed %i)', async (seed) => {
    const random = seeded(seed);
    const victim = Math.floor(random() * 2);
    const atMs = 100 + Math.floor(random() * 1_500);
    plan('workers', seed, `SIGKILL worker ${victim} after ${atMs} ms of producing, then restart it`);
    await underLoad(random, async () => {
      await sleep(atMs);
      await workers.restart(victim);
    });
  }, 300_000);

  const restartOf = (service: PrivateService) => async (seed: number) => {
    const random = seeded(seed);
    const atMs = 100 + Math.floor(random() * 1_000);
    const downMs = 200 + Math.floor(random() * 2_500);
    plan('workers', seed, `stop ${service} after ${atMs} ms of producing, start it ${downMs} ms later`);
    await underLoad(random, async () => {
      await sleep(atMs);
      await services.stop(service);
      await sleep(downMs);
      await services.start(service);
    });
  };

  it.each(faultSeeds())('PostgreSQL stopped and started while the job writes (seed %i)', restartOf('postgres'), 300_000);
  // About 30 s a seed (the clients' timeouts, then the group's rejoin), so 8 seeds by default, to keep
  // CI within its time; TRIBUTARY_FAULT_SEEDS=20 runs the full set.
  it.each(faultSeeds(8))('Kafka stopped and started while pins are produced and consumed (seed %i)', restartOf('kafka'), 300_000);
});
