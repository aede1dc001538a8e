/** CodeMirror 6 with DuckDB-flavoured SQL, completing the lake's table and column names; Ctrl/Cmd-Enter runs. */
import { sql, PostgreSQL } from '@codemirror/lang-sql';
import { keymap } from '@codemirror/view';
import { basicSetup, EditorView } from 'codemirror';
import { useEffect, useRef } from 'react';
import type { SqlTable } from '../types.ts';

export function SqlEditor({ value, onChange, onRun, tables }: { value: string; onChange: (v: string) => void; onRun: () => void; tables: SqlTable[] }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | undefined>(undefined);
  const run = useRef(onRun);
  run.current = onRun;
  const change = useRef(onChange);
  change.current = onChange;
  useEffect(() => {
    const schema: Record<string, string[]> = {};
    for (const t of tables) schema[`${t.schema}.${t.name}`] = t.columns.map((c) => c.name);
    const editor = new EditorView({
      doc: view.current?.state.doc.toString() ?? value,
      parent: host.current!,
      extensions: [
        keymap.of([{ key: 'Mod-Enter', run: () => (run.current(), true) }]),
        basicSetup,
        sql({ dialect: PostgreSQL, schema, upperCaseKeywords: true }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) change.current(u.state.doc.toString());
        }),
        EditorView.theme({ '&': { fontSize: '13px', border: '1px solid #cbd2d9', borderRadius: '6px' }, '.cm-content': { minHeight: '120px' } }),
      ],
    });
    view.current = editor;
    return () => editor.destroy();
    // The editor is made again only when the tables (its completion) change; it keeps its text.
  }, [tables]);
  return <div ref={host} className="sql-editor" aria-label="SQL editor" />;
}
