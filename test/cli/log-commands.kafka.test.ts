import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../support/cli.ts';
import { endpoint, uniqueName } from '../support/services.ts';

const pins = readFileSync(new URL('../../../shared/data/pinterest/pinterest_data.jsonl', import.meta.url), 'utf8').trim().split('\n').slice(0, 12);

describe('the log commands on Kafka', () => {
  it('should create, produce, tail, report lag and delete through the Kafka backend', async () => {
    const env = { TRIBUTARY_LOG_BACKEND: 'kafka', TRIBUTARY_KAFKA_BROKERS: endpoint('TRIBUTARY_KAFKA_BROKERS') };
    const cwd = await tempDir();
    const topic = uniqueName('cli').replace(/_/g, '-');
    const group = uniqueName('cli-group');
    expect(await cli(['topics', 'create', topic, '-p', '2'], { cwd, env })).toMatchObject({ code: 0 });
    expect((await cli(['topics', 'list'], { cwd, env })).stdout.split('\n')).toContain(topic);
    expect(await cli(['produce', topic, '-k', 'unique_id'], { cwd, env, stdin: pins.join('\n') })).toMatchObject({ code: 0, stderr: `produced 12 records to ${topic}\n` });

    const tailed = await cli(['tail', topic, '--from', 'earliest', '--group', group, '--max', '12'], { cwd, env });
    expect(tailed.code).toBe(0);
    const keys = tailed.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { key: string }).key).sort();
    expect(keys).toEqual(pins.map((p) => (JSON.parse(p) as { unique_id: string }).unique_id).sort());

    const lag = await cli(['lag', group], { cwd, env });
    expect(lag.stdout).toMatch(/^total lag 0$/m);
    const described = await cli(['topics', 'describe', topic], { cwd, env });
    expect(described.stdout.trim().split('\n').slice(2).reduce((n, row) => n + Number(row.trim().split(/\s+/)[3]), 0)).toBe(12);
    expect((await cli(['topics', 'delete', topic], { cwd, env })).stdout).toBe(`deleted topic ${topic}\n`);
  });
});
