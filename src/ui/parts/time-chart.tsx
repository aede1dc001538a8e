/** Lines over time with Apache ECharts (a time axis, one line per series), updated in place as points arrive. */
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([LineChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

export interface Line {
  name: string;
  values: Array<number | null>;
}

const COLORS = ['#2563eb', '#16a34a', '#d97706', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

export function TimeChart({ times, lines, unit, label }: { times: number[]; lines: Line[]; unit: string; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);
  useEffect(() => {
    const instance = echarts.init(host.current);
    chart.current = instance;
    const resize = () => instance.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      instance.dispose();
      chart.current = undefined;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(
      {
        animation: false,
        color: COLORS,
        tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? `${Number(v.toPrecision(4))} ${unit}` : '–') },
        legend: lines.length > 1 ? { type: 'scroll', bottom: 0, textStyle: { fontSize: 11 } } : { show: false },
        grid: { left: 56, right: 14, top: 12, bottom: lines.length > 1 ? 48 : 24 },
        xAxis: { type: 'time', axisLabel: { fontSize: 10 } },
        yAxis: { type: 'value', axisLabel: { fontSize: 10 }, splitLine: { lineStyle: { color: '#eef0f3' } } },
        series: lines.map((l) => ({ type: 'line', name: l.name, showSymbol: false, connectNulls: false, lineStyle: { width: 1.5 }, data: l.values.map((v, i) => [times[i], v]) })),
      },
      { notMerge: true },
    );
  }, [times, lines, unit]);
  return <div ref={host} className="chart time-chart" role="img" aria-label={label} />;
}
