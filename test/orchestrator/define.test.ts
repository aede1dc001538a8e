import { describe, expect, it } from 'vitest';
import { graph, task } from '../../src/orchestrator/define.ts';

const noop = (id: string, after: string[] = []) => task({ id, after, run: () => undefined });

describe('task and graph declarations', () => {
  it('should merge each task’s after with the graph’s dependencies and order tasks after their upstream', () => {
    const g = graph({ id: 'g', tasks: [noop('load', ['clean']), noop('extract'), noop('clean')], dependencies: { clean: ['extract'] } });
    expect(g.upstream).toEqual({ load: ['clean'], extract: [], clean: ['extract'] });
    expect(g.order).toEqual(['extract', 'clean', 'load']);
    expect(g.maxActiveRuns).toBe(16);
  });

  it('should name the tasks of a cycle', () => {
    expect(() => graph({ id: 'loop', tasks: [noop('a', ['c']), noop('b', ['a']), noop('c', ['b']), noop('d')] })).toThrow(/graph loop has a cycle among a, b, c/);
  });

  it('should refuse a dependency on a task the graph does not have, and two tasks with one id', () => {
    expect(() => graph({ id: 'g', tasks: [noop('a', ['ghost'])] })).toThrow(/task a waits for ghost/);
    expect(() => graph({ id: 'g', tasks: [noop('a')], dependencies: { ghost: ['a'] } })).toThrow(/dependencies name task ghost/);
    expect(() => graph({ id: 'g', tasks: [noop('a'), noop('a')] })).toThrow(/two tasks with id a/);
  });

  it('should refuse a cron expression or a time zone croner cannot read', () => {
    expect(() => graph({ id: 'g', schedule: { cron: 'every day' }, tasks: [noop('a')] })).toThrow(expect.objectContaining({ code: 'ORCHESTRATOR_GRAPH_INVALID' }));
    expect(() => graph({ id: 'g', schedule: { cron: '0 0 * * *', timezone: 'Mars/Olympus' }, tasks: [noop('a')] })).toThrow(/schedule/);
  });

  it('should refuse a retry policy or timeout outside its range', () => {
    expect(() => task({ id: 't', retry: { maxAttempts: 0 }, run: () => undefined })).toThrow(/retry: maxAttempts/);
    expect(() => task({ id: 't', timeoutMs: -5, run: () => undefined })).toThrow(/timeoutMs/);
    expect(() => task({ id: 'bad id', run: () => undefined })).toThrow(/task id/);
  });
});
