/**
 * A full disk under `tributary dev`: the data directory on a tmpfs, filled by a file to a
 * seeded headroom, then pins posted until the log refuses. The refusal must be clear (507,
 * LOG_DISK_FULL), the server must stay up and answer, nothing acknowledged may be lost, and once the
 * filler is removed the next posts must be written without a restart. At the end, a SIGKILL and a
 * restart find the log whole: the table holds every pin of the log once.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSinkMatchesLog } from './support/check.ts';
import { postPins, startDev, tableIds, type DevProcess } from './support/dev-process.ts';
import { makePins, readTopic } from './support/pins.ts';
import { faultSeeds, plan, seeded } from './support/seeds.ts';
import { until } from './support/until.ts';

const SIZE_MB = 160;

describe('a full disk under tributary dev', () => {
  let cwd: string;
  let mount: string;
  let dev: DevProcess;
  const acknowledged: string[] = [];
  const env = () => ({ TRIBUTARY_DATA_DIR: path.join(mount, 'data') });

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('the full-disk scenario mounts a tmpfs, which needs root (CI runs as root)');
    cwd = await mkdtemp(path.join(tmpdir(), 'tributary-faults-'));
    mount = path.join(cwd, 'small-disk');
    await mkdir(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MB}m`, 'tributary-faults', mount]);
    dev = await startDev(cwd, env());
  }, 120_000);

  afterAll(async () => {
    dev?.process.kill('SIGKILL');
    await dev?.process.exited;
    if (mount) execFileSync('umount', ['-l', mount]);
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  const free = async () => {
    const s = await statfs(mount);
    return s.bavail * s.bsize;
  };

  it.each(faultSeeds())('should refuse clearly when the disk fills, lose nothing acknowledged, and write again once space returns (seed %i)', async (seed) => {
    const random = seeded(seed);
    const headroom = 16_384 + Math.floor(random() * 160_000);
    const perRequest = 5 + Math.floor(random() * 40);
    plan('disk-full', seed, `fill to ${headroom} bytes free, post ${perRequest} pins a request until refused, free the space, post again`);
    const filler = path.join(mount, 'filler');
    // The jobs write too (the table, the archiver): if they took the headroom meanwhile, the filler
    // stops short where the disk is full, which is as good.
    await writeFile(filler, Buffer.alloc(Math.max(0, (await free()) - headroom))).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOSPC') throw error;
    });

    let refused: Record<string, unknown> | undefined;
    for (let i = 0; i < 2_000 && !refused; i++) {
      const pins = makePins(perRequest, random);
      const { status, body } = await postPins(dev.url, pins);
      if (status === 202 || status === 200) acknowledged.push(...pins.map((p) => p.unique_id as string));
      else if (status === 507) refused = body;
      else throw new Error(`unexpected answer ${status}: ${JSON.stringify(body)}`);
    }
    expect(refused, 'the log refused once the disk was full').toBeDefined();
    expect(refused).toMatchObject({ code: 'LOG_DISK_FULL' });
    expect(String(refused!.message)).toMatch(/file system is full \(ENOSPC\).*free space/);
    const health = await fetch(`${dev.url}/health`, { signal: AbortSignal.timeout(5_000) });
    expect(health.status, 'the server answers while the disk is full').toBe(200);

    await rm(filler);
    const pins = makePins(perRequest, random);
    const after = await until('a post accepted once space is back', async () => {
      const answer = await postPins(dev.url, pins);
      return answer.status === 202 || answer.status === 200 ? answer : undefined;
    }, 30_000);
    expect(after.body.accepted).toBe(perRequest);
    acknowledged.push(...pins.map((p) => p.unique_id as string));

    const logValues = await until('the table to catch up with the log', async () => {
      const values = (await readTopic(dev.url, 'pinterest.pins')).map((r) => r.value);
      return (await tableIds(dev.url)).length >= values.length ? values : undefined;
    });
    expectSinkMatchesLog({ logValues, sinkIds: await tableIds(dev.url), acknowledged });
  }, 180_000);

  it('should find the log and the table whole after a SIGKILL and a restart', async () => {
    dev.process.kill('SIGKILL');
    await dev.process.exited;
    dev = await startDev(cwd, env());
    const logValues = (await readTopic(dev.url, 'pinterest.pins')).map((r) => r.value);
    expect(logValues.length).toBeGreaterThanOrEqual(acknowledged.length);
    await until('the table after the restart', async () => ((await tableIds(dev.url)).length >= logValues.length ? true : undefined));
    expectSinkMatchesLog({ logValues, sinkIds: await tableIds(dev.url), acknowledged });
  }, 180_000);
});
