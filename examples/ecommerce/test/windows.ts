/** The brute-force answer the window tables are checked against: clicks counted per key and minute of their timestamp. */
import { WINDOW_MS as WINDOW } from '../clicks.ts';

export { WINDOW };

/** A click's value: `[user_id, product_id]` or `[user_id, order_id]`. */
export type Click = [number, number];

/** `<second value>@<window start>` → how many clicks. */
export function perWindow(records: readonly { timestamp: number; value: Click }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) {
    const id = `${r.value[1]}@${Math.floor(r.timestamp / WINDOW) * WINDOW}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
