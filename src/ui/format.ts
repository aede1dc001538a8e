/** Numbers and times as the pages show them. */
const integer = new Intl.NumberFormat('en-US');
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export function int(n: number | undefined): string {
  return n === undefined ? '–' : integer.format(n);
}

export function short(n: number | undefined): string {
  return n === undefined ? '–' : n < 10_000 ? integer.format(Math.round(n)) : compact.format(n);
}

export function rate(n: number | undefined): string {
  if (n === undefined) return '–';
  return `${n < 10 ? n.toFixed(1) : short(n)}/s`;
}

export function ago(iso: string): string {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${(s / 3600).toFixed(1)} h ago`;
}
