/** The query function over a set of merged views (view.ts): `query(view, params)`. */
import { TributaryError } from '../../errors.ts';
import type { MergedView, QueryResult, ViewRunOptions } from './view.ts';

export interface QueryService {
  readonly views: readonly MergedView[];
  query(view: string, params?: Record<string, unknown>, options?: ViewRunOptions): Promise<QueryResult>;
  close(): Promise<void>;
}

export function createQueryService(views: readonly MergedView[]): QueryService {
  const byName = new Map(views.map((v) => [v.name, v]));
  return {
    views,
    async query(name, params = {}, options = {}) {
      const view = byName.get(name);
      if (!view) throw new TributaryError('VIEW_NOT_FOUND', `No view "${name}"; the views are: ${[...byName.keys()].join(', ') || '(none)'}`);
      const parsed = view.params.safeParse(params);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? `parameter "${issue.path.join('.')}"` : 'parameters';
        const keys = issue && 'keys' in issue && Array.isArray(issue.keys) ? ` ${issue.keys.map((k) => `"${String(k)}"`).join(', ')}` : '';
        throw new TributaryError('QUERY_INVALID', `View "${name}": ${where}${keys}: ${issue?.message ?? 'invalid'}`, { cause: parsed.error });
      }
      return view.run(parsed.data, options);
    },
    async close() {
      await Promise.all(views.map((v) => v.close()));
    },
  };
}
