/** A result as a chart with Apache ECharts (only the chart kinds used are bundled, in the SQL page's chunk). */
import { BarChart, LineChart, PieChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([BarChart, LineChart, PieChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

export type ChartKind = 'bar' | 'line' | 'area' | 'pie' | 'scatter' | 'table' | 'number';

export function Chart({ kind, x, y }: { kind: Exclude<ChartKind, 'table' | 'number'>; x: Array<string | number>; y: number[] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const chart = echarts.init(host.current);
    const option =
      kind === 'pie'
        ? { tooltip: {}, series: [{ type: 'pie', radius: ['35%', '70%'], data: x.map((name, i) => ({ name: String(name), value: y[i] })) }] }
        : {
            tooltip: { trigger: kind === 'scatter' ? 'item' : 'axis' },
            grid: { left: 50, right: 20, top: 20, bottom: 40 },
            xAxis: kind === 'scatter' ? { type: 'value' } : { type: 'category', data: x.map(String) },
            yAxis: { type: 'value' },
            series: [kind === 'scatter' ? { type: 'scatter', data: x.map((v, i) => [Number(v), y[i]]) } : { type: kind === 'area' ? 'line' : kind, data: y, ...(kind === 'area' ? { areaStyle: {} } : {}), itemStyle: { color: '#2563eb' } }],
          };
    // No entry animation: the chart shows its values at once (and in screenshots).
    chart.setOption({ animation: false, ...option });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [kind, x, y]);
  return <div ref={host} className="chart" role="img" aria-label={`${kind} chart`} />;
}
