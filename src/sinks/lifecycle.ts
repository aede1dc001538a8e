/** The state every sink keeps between `open()` and `close()`, and the errors for calls out of turn. */
import { TributaryError } from '../errors.ts';

export class SinkLifecycle {
  private state: 'created' | 'opening' | 'open' | 'closed' = 'created';
  private readonly label: string;

  /** `label` names the sink in messages, e.g. `postgres sink for table views.pins`. */
  constructor(label: string) {
    this.label = label;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Before `open()`'s work: false when the sink is already open (a second open does nothing). */
  beginOpen(): boolean {
    if (this.state === 'closed') throw this.closedError('open');
    if (this.state === 'opening') throw new TributaryError('INTERNAL', `${this.label}: open() called while an open() is under way`);
    if (this.state === 'open') return false;
    this.state = 'opening';
    return true;
  }

  /** After `open()`'s work, whether it succeeded (a failed open may be tried again). */
  endOpen(succeeded: boolean): void {
    if (this.state === 'opening') this.state = succeeded ? 'open' : 'created';
  }

  /** Throws SINK_CLOSED after close, INTERNAL before open: both are bugs in the caller. */
  check(operation: string): void {
    if (this.state === 'open') return;
    if (this.state === 'closed') throw this.closedError(operation);
    throw new TributaryError('INTERNAL', `${this.label}: ${operation}() called before open()`);
  }

  /** Marks the sink closed; false when it already was (close is idempotent). */
  close(): boolean {
    if (this.state === 'closed') return false;
    this.state = 'closed';
    return true;
  }

  private closedError(operation: string): TributaryError {
    return new TributaryError('SINK_CLOSED', `${this.label}: ${operation}() called after close()`);
  }
}
