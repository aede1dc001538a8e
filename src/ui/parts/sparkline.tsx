/** A small line of recent values, drawn as SVG (no chart library for this on the first page). */
export function Sparkline({ values, color = '#2563eb', width = 120, height = 28, label }: { values: readonly number[]; color?: string; width?: number; height?: number; label: string }) {
  if (values.length < 2) return <svg className="spark" width={width} height={height} role="img" aria-label={`${label}: waiting for data`} />;
  const max = Math.max(...values, 1e-9);
  const step = width / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`);
  return (
    <svg className="spark" width={width} height={height} role="img" aria-label={label}>
      <polyline points={`0,${height} ${points.join(' ')} ${width},${height}`} fill={color} opacity="0.12" stroke="none" />
      <polyline points={points.join(' ')} fill="none" stroke={color} strokeWidth="1.5" strokeLinejoin="round" />
    </svg>
  );
}
