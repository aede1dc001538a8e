/**
 * The e-commerce seed's data, generated: orders (rows for the `orders` and `completed_orders`
 * tables) and click-stream events (`productview`, `orderview`) in the seed's wire format.
 *
 * Everything comes from one seeded generator (mulberry32), so a seed gives the same rows and events
 * every time: tests can name exact values.
 *
 * Wire format: a click event's value is the text Python's `json.dumps([user_id, id])` produced in the
 * seed, `"[1101, 80]"`: a JSON array with a space after the comma. Its key is null.
 *
 * Times are microseconds since the epoch (the tables keep microseconds, and a cursor on `updated_at`
 * must not lose them); `sqlTimestamp` writes them as `YYYY-MM-DD HH:MM:SS.ffffff` UTC.
 */

export const PRODUCT_VIEW_TOPIC = 'productview';
export const ORDER_VIEW_TOPIC = 'orderview';

/** The seed's first click: 2023-01-19T19:49:16.243Z (`_airbyte_emitted_at` of the completed orders). */
export const SEED_EPOCH_MS = 1_674_175_951_243;

export const orderStatuses = ['created', 'paid', 'shipped', 'completed', 'cancelled'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export interface OrderRow {
  order_id: number;
  user_id: number;
  product_id: number;
  quantity: number;
  /** Decimal text, two places: what DECIMAL(10,2) holds. */
  unit_price: string;
  status: OrderStatus;
  /** Microseconds since the epoch. */
  created_at: number;
  updated_at: number;
}

/** The shape of the seed's Airbyte `completed_orders` records. */
export interface CompletedOrderRow {
  order_id: number;
  completed_at: number;
  /** "1" in every seed record. */
  status: string;
}

export interface ClickEvent {
  topic: typeof PRODUCT_VIEW_TOPIC | typeof ORDER_VIEW_TOPIC;
  /** Milliseconds since the epoch. */
  timestamp: number;
  key: null;
  value: string;
}

/** mulberry32: a small, fast, seedable generator; good enough for test data, not for secrets. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `[a, b]` exactly as Python's json.dumps writes a list of two ints. */
export function wirePair(a: number, b: number): string {
  return `[${a}, ${b}]`;
}

/** The two ints of a wire value; throws on anything else. */
export function parseWirePair(value: string): [number, number] {
  const match = /^\[(-?\d+), (-?\d+)\]$/.exec(value);
  if (!match) throw new Error(`not a click-stream value "[a, b]": ${JSON.stringify(value)}`);
  return [Number(match[1]), Number(match[2])];
}

export function sqlTimestamp(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const fraction = String(micros - ms * 1000).padStart(3, '0');
  return `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}${fraction}`;
}

/** A product's price, fixed per product so that repeated orders of one product (and its catalogue row) agree. */
export function productPrice(productId: number): number {
  return (((productId * 7919) % 19_000) + 99) / 100;
}

export interface EcommerceGeneratorOptions {
  seed: number;
  /** Products orders and views refer to; default 1..304, the ids of the seed's product_list.csv. */
  productIds?: readonly number[];
  /** Users are 1..users; default 10,000, as in the seed. */
  users?: number;
  /** The first order id; default 600, as in the seed. */
  firstOrderId?: number;
  /** Microseconds since the epoch of the first order; default the seed's epoch. */
  startMicros?: number;
}

export interface EcommerceGenerator {
  /** A new order, created `stepMicros` after the previous one (default: a random 0.1..3 s). */
  nextOrder(stepMicros?: number): OrderRow;
  /** The same order one status further on (created → paid → shipped → completed), updated now. */
  advance(order: OrderRow, atMicros?: number): OrderRow;
  /** The `completed_orders` row of a completed order. */
  completed(order: OrderRow): CompletedOrderRow;
  productView(timestampMs: number): ClickEvent;
  /** A view of an order created so far (or of `orderId`). */
  orderView(timestampMs: number, orderId?: number): ClickEvent;
  /** The generator's clock, in microseconds: the newest time it has handed out. */
  now(): number;
  /** The next number in [0, 1) of the seeded sequence, for choices made around the generator. */
  random(): number;
}

export function createEcommerceGenerator(options: EcommerceGeneratorOptions): EcommerceGenerator {
  const random = seededRandom(options.seed);
  const products = options.productIds ?? Array.from({ length: 304 }, (_, i) => i + 1);
  if (products.length === 0) throw new RangeError('the e-commerce generator needs at least one product id');
  const users = options.users ?? 10_000;
  const firstOrderId = options.firstOrderId ?? 600;
  let nextOrderId = firstOrderId;
  let clock = options.startMicros ?? SEED_EPOCH_MS * 1000;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

  return {
    nextOrder(stepMicros) {
      clock += stepMicros ?? int(100_000, 3_000_000);
      const productId = pick(products);
      return {
        order_id: nextOrderId++,
        user_id: int(1, users),
        product_id: productId,
        quantity: random() < 0.8 ? 1 : int(2, 5),
        unit_price: productPrice(productId).toFixed(2),
        status: 'created',
        created_at: clock,
        updated_at: clock,
      };
    },
    advance(order, atMicros) {
      clock = Math.max(clock, atMicros ?? clock + int(1_000, 500_000));
      const index = orderStatuses.indexOf(order.status);
      // One order in ten is cancelled before it ships; completed and cancelled orders stay so.
      const status: OrderStatus = index >= 3 ? order.status : index < 2 && random() < 0.1 ? 'cancelled' : (orderStatuses[index + 1] ?? order.status);
      return { ...order, status, updated_at: clock };
    },
    completed(order) {
      return { order_id: order.order_id, completed_at: order.updated_at, status: '1' };
    },
    productView(timestampMs) {
      return { topic: PRODUCT_VIEW_TOPIC, timestamp: timestampMs, key: null, value: wirePair(int(1, users), pick(products)) };
    },
    orderView(timestampMs, orderId) {
      const id = orderId ?? (nextOrderId > firstOrderId ? int(firstOrderId, nextOrderId - 1) : firstOrderId);
      return { topic: ORDER_VIEW_TOPIC, timestamp: timestampMs, key: null, value: wirePair(int(1, users), id) };
    },
    now: () => clock,
    random,
  };
}
