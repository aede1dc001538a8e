/**
 * Prices as listing sites write them, normalised to integer cents and a kind:
 *
 * | input | cents | kind |
 * |---|---|---|
 * | `{ type: 'FIXED', amount: 290000 }` (Apollo state, already cents) | 290000 | fixed |
 * | `$2,900.00`, `$1450`, `2 900,00 $` | 290000, 145000, 290000 | fixed |
 * | `$2.50/sq ft`, `$14 per sq. ft.` | 250, 1400 | per-sqft |
 * | `Free` | 0 | free |
 * | `Please Contact` | null | contact |
 * | `Swap/Trade` | null | swap-trade |
 * | anything else | null | unknown |
 *
 * Cents are computed from the digits, never through floating point, so `$19.99` is 1999 exactly.
 */

export type PriceKind = 'fixed' | 'per-sqft' | 'free' | 'contact' | 'swap-trade' | 'unknown';

export interface Price {
  cents: number | null;
  kind: PriceKind;
}

const PER_SQFT = /(\/|\bper\b)\s*(sq\.?\s*f(ee|oo)?t\.?|sqft|square\s+f(ee|oo)t|ft²|ft2)/i;

export function parsePriceText(raw: string): Price {
  const text = raw.replace(/[\s\u00a0\u202f]+/g, ' ').trim();
  const lower = text.toLowerCase();
  if (lower === '') return { cents: null, kind: 'unknown' };
  if (/please contact|contact (us|for price)|^contact$/.test(lower)) return { cents: null, kind: 'contact' };
  if (/swap|trade/.test(lower)) return { cents: null, kind: 'swap-trade' };
  if (/^(free|gratuit)$/.test(lower)) return { cents: 0, kind: 'free' };
  const cents = moneyCents(text);
  if (cents === null) return { cents: null, kind: 'unknown' };
  return { cents, kind: PER_SQFT.test(text) ? 'per-sqft' : 'fixed' };
}

/** An Apollo-state price: `{ type, amount (cents), originalAmount }`. */
export function parseApolloPrice(price: unknown): Price & { originalCents: number | null } {
  const { type, amount, originalAmount } = (price ?? {}) as { type?: unknown; amount?: unknown; originalAmount?: unknown };
  const originalCents = Number.isSafeInteger(originalAmount) ? (originalAmount as number) : null;
  const kind = typeof type === 'string' ? type.toUpperCase() : '';
  if (kind.includes('CONTACT')) return { cents: null, kind: 'contact', originalCents };
  if (kind.includes('SWAP') || kind.includes('TRADE')) return { cents: null, kind: 'swap-trade', originalCents };
  if (kind === 'FREE') return { cents: 0, kind: 'free', originalCents };
  if (!Number.isSafeInteger(amount)) return { cents: null, kind: 'unknown', originalCents };
  return { cents: amount as number, kind: kind.includes('SQ') ? 'per-sqft' : 'fixed', originalCents };
}

/** `$2,900.00` → 290000; `2 900,50 $` → 290050; null without a well-formed amount. */
function moneyCents(text: string): number | null {
  // English: comma thousands, dot decimals.
  let match = /\$\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?!\d)/.exec(text);
  if (match) return toCents(match[1]!.replaceAll(',', ''), match[2]);
  // French (Kijiji's fr pages): space thousands, comma decimals, dollar sign after.
  match = /(?<![\d,.])(\d{1,3}(?: \d{3})+|\d+)(?:,(\d{1,2}))? ?\$/.exec(text);
  if (match) return toCents(match[1]!.replaceAll(' ', ''), match[2]);
  return null;
}

function toCents(whole: string, fraction: string | undefined): number | null {
  const cents = Number(whole) * 100 + Number((fraction ?? '0').padEnd(2, '0'));
  return Number.isSafeInteger(cents) ? cents : null;
}
