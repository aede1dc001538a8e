/**
 * A token bucket: tokens accrue at `rate` per second up to `capacity`; sending n events takes n.
 * Over any stretch of time the events taken stay within rate × time + capacity.
 */
export class TokenBucket {
  readonly rate: number;
  readonly capacity: number;
  private tokens: number;
  private last: number;
  private readonly now: () => number;

  constructor(rate: number, capacity: number, now: () => number = () => performance.now()) {
    if (!(rate > 0) || !(capacity >= 1)) throw new RangeError(`token bucket needs rate > 0 and capacity >= 1, got ${rate} and ${capacity}`);
    this.rate = rate;
    this.capacity = capacity;
    this.now = now;
    this.tokens = 0;
    this.last = now();
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }

  /** Take up to `max` whole tokens if at least `min` are there; returns how many were taken (0 or ≥ min). */
  take(max: number, min = 1): number {
    this.refill();
    const available = Math.floor(this.tokens);
    if (available < Math.min(min, max)) return 0;
    const n = Math.min(available, max);
    this.tokens -= n;
    return n;
  }

  /** Milliseconds until `n` whole tokens are there (0 if they are). */
  waitMs(n = 1): number {
    this.refill();
    return Math.max(0, ((Math.min(n, this.capacity) - this.tokens) * 1000) / this.rate);
  }
}
