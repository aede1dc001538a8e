/**
 * A SQL result shown as one kind of chart: x from a named column (default the first), y from a named
 * column (default the first numeric one after x, else the first numeric one). The SQL explorer and the dashboards both show results this way.
 */
import { useMemo } from 'react';
import { int } from '../format.ts';
import type { SqlResult } from '../types.ts';
import { Chart, type ChartKind } from './chart.tsx';
import { VirtualTable } from './virtual-table.tsx';

const NUMERIC = /INT|DOUBLE|FLOAT|DECIMAL|REAL|NUMERIC/;

export function columnsOf(result: SqlResult, x?: string, y?: string): { xi: number; yi: number } {
  const xi = Math.max(0, x === undefined ? 0 : result.columns.findIndex((c) => c.name === x));
  if (y !== undefined) return { xi, yi: result.columns.findIndex((c) => c.name === y) };
  const after = result.columns.findIndex((c, i) => i > xi && NUMERIC.test(c.type));
  // A result of one number (a count) charts that column.
  return { xi, yi: after >= 0 ? after : result.columns.findIndex((c) => NUMERIC.test(c.type)) };
}

export function ResultChart({ result, kind, x, y }: { result: SqlResult; kind: ChartKind; x?: string; y?: string }) {
  const { xi, yi } = columnsOf(result, x, y);
  const series = useMemo(
    () => ({
      x: result.rows.map((r) => (typeof r[xi] === 'number' ? r[xi] : typeof r[xi] === 'object' ? JSON.stringify(r[xi]) : String(r[xi]))),
      y: yi < 0 ? [] : result.rows.map((r) => Number(r[yi])),
    }),
    [result, xi, yi],
  );
  if (kind === 'table') return <VirtualTable columns={result.columns.map((c) => c.name)} rows={result.rows} />;
  if (yi < 0) return <div className="muted small">No numeric column to chart.</div>;
  if (kind === 'number')
    return (
      <div className="big-number" aria-label="number">
        {int(series.y[0])}
        <span className="muted small"> {result.columns[yi]!.name}</span>
      </div>
    );
  return <Chart kind={kind} x={series.x} y={series.y} />;
}
