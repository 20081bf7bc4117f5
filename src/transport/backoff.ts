/**
 * Exponential backoff with full jitter (a uniformly random wait between 0 and the exponential cap),
 * so many clients recovering from one outage do not retry in step.
 */
export function fullJitterDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const cap = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * cap);
}

/** The shipper's one backoff: consecutive failed rounds, and until when nothing is sent. */
export class RetryBackoff {
  private failures = 0;
  /** epoch ms; 0 when not backing off */
  until = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {}

  /** Failing since the last success: a problem already reported is not reported again. */
  get failing(): boolean {
    return this.failures > 0;
  }

  fail(): void {
    this.failures++;
    this.until = Date.now() + fullJitterDelay(this.failures, this.initialMs, this.maxMs);
  }

  reset(): void {
    this.failures = 0;
    this.until = 0;
  }
}
