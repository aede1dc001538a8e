import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../support/cli.ts';

const pins = readFileSync(new URL('../../examples/pinterest/data/pins.jsonl', import.meta.url), 'utf8').trim().split('\n').slice(0, 20);

describe('the log commands on the embedded log', () => {
  it('should create, list, describe and delete a topic', async () => {
    const cwd = await tempDir();
    expect(await cli(['topics', 'create', 'pins', '--partitions', '3'], { cwd })).toMatchObject({ code: 0, stdout: 'created topic pins with 3 partitions\n' });
    expect((await cli(['topics', 'list'], { cwd })).stdout).toBe('pins\n');
    const described = await cli(['topics', 'describe', 'pins'], { cwd });
    expect(described.stdout).toBe('topic pins\npartition  start  end  records\n0          0      0    0\n1          0      0    0\n2          0      0    0\n');
    expect((await cli(['topics', 'delete', 'pins'], { cwd })).stdout).toBe('deleted topic pins\n');
    expect((await cli(['topics', 'list'], { cwd })).stdout).toBe('');
  });

  it('should produce stdin lines keyed by a field, tail them as a group, and report the lag', async () => {
    const cwd = await tempDir();
    await cli(['topics', 'create', 'pins', '-p', '2'], { cwd });
    const produced = await cli(['produce', 'pins', '--key-field', 'unique_id'], { cwd, stdin: pins.join('\n') + '\n' });
    expect(produced).toMatchObject({ code: 0, stderr: 'produced 20 records to pins\n' });

    const tailed = await cli(['tail', 'pins', '--from', 'earliest', '--group', 'readers', '--max', '15'], { cwd });
    expect(tailed.code).toBe(0);
    const lines = tailed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; value: { unique_id: string }; partition: number; offset: number });
    expect(lines).toHaveLength(15);
    for (const line of lines) expect(line.key).toBe(line.value.unique_id);

    const lag = await cli(['lag', 'readers'], { cwd });
    expect(lag.stdout).toMatch(/^total lag 5$/m);
  });

  it('should start every partition at an explicit offset', async () => {
    const cwd = await tempDir();
    await cli(['topics', 'create', 'one', '-p', '1'], { cwd });
    await cli(['produce', 'one'], { cwd, stdin: pins.slice(0, 10).join('\n') });
    const tailed = await cli(['tail', 'one', '--from', '7', '--max', '3'], { cwd });
    expect(tailed.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { offset: number }).offset)).toEqual([7, 8, 9]);
  });

  it('tail -n should stop at the end of a topic shorter than n, and --no-follow at the end', async () => {
    const cwd = await tempDir();
    await cli(['topics', 'create', 'short', '-p', '2'], { cwd });
    await cli(['produce', 'short', '--key-field', 'unique_id'], { cwd, stdin: pins.slice(0, 4).join('\n') });
    const fewer = await cli(['tail', 'short', '--from', 'earliest', '-n', '50'], { cwd });
    expect(fewer.code).toBe(0);
    expect(fewer.stdout.trim().split('\n')).toHaveLength(4);
    const all = await cli(['tail', 'short', '--from', 'earliest', '--no-follow'], { cwd });
    expect(all.stdout.trim().split('\n')).toHaveLength(4);
    const none = await cli(['tail', 'short', '--no-follow'], { cwd });
    expect(none).toMatchObject({ code: 0, stdout: '' });
  });

  it('should name the line that is not JSON', async () => {
    const cwd = await tempDir();
    const result = await cli(['produce', 'pins'], { cwd, stdin: `${pins[0]}\n{oops\n` });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error \[SCHEMA_VALIDATION\]: line 2 is not JSON \(.*\); use --raw to send lines as they are$/m);
  });

  it('should refuse an unknown topic with auto-create off, and an invalid topic name', async () => {
    const cwd = await tempDir();
    const strict = await cli(['produce', 'nope', '--set', 'log.autoCreateTopics=false'], { cwd, stdin: '{}\n' });
    expect(strict.stderr).toBe('error [TOPIC_NOT_FOUND]: topic nope does not exist and auto-create is off (log.autoCreateTopics); create it with: tributary topics create nope\n');
    const invalid = await cli(['topics', 'create', 'bad/name'], { cwd });
    expect(invalid).toMatchObject({ code: 2, stderr: 'error [TOPIC_INVALID]: invalid topic name "bad/name": use 1 to 249 letters, digits, \'.\', \'_\' or \'-\'\n' });
  });
});
