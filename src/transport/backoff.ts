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
