/** A result table that renders only the rows in view (fixed row height), so 10,000 rows scroll as smoothly as 10. */
import { useState } from 'react';
import type { SqlCell } from '../types.ts';

const ROW = 28;
const HEIGHT = 360;

const show = (v: SqlCell) => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function VirtualTable({ columns, rows }: { columns: string[]; rows: SqlCell[][] }) {
  const [top, setTop] = useState(0);
  const first = Math.max(0, Math.floor(top / ROW) - 5);
  const last = Math.min(rows.length, first + Math.ceil(HEIGHT / ROW) + 10);
  return (
    <div className="vtable" style={{ height: Math.min(HEIGHT, (rows.length + 1) * ROW + 2) }} onScroll={(e) => setTop(e.currentTarget.scrollTop)} aria-label="results">
      <table>
        <thead>
          <tr>{columns.map((c) => <th key={c}>{c}</th>)}</tr>
        </thead>
        <tbody>
          {first > 0 && <tr style={{ height: first * ROW }} />}
          {rows.slice(first, last).map((row, i) => (
            <tr key={first + i} style={{ height: ROW }}>{row.map((v, j) => <td key={j} className={typeof v === 'number' ? 'num' : ''}>{show(v)}</td>)}</tr>
          ))}
          {last < rows.length && <tr style={{ height: (rows.length - last) * ROW }} />}
        </tbody>
      </table>
    </div>
  );
}

export function toCsv(columns: string[], rows: SqlCell[][]): string {
  const cell = (v: SqlCell) => {
    const s = show(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [columns.map(cell).join(','), ...rows.map((r) => r.map(cell).join(','))].join('\r\n') + '\r\n';
}
