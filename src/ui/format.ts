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

export function bytes(n: number | undefined): string {
  if (n === undefined) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
