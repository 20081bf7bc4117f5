/**
 * Tumbling windows aligned to the clock: [k * every, (k + 1) * every). A window is ready once its
 * end plus `delay` (for late documents) has passed.
 */
export interface Window {
  from: Date;
  to: Date;
}

export function alignDown(t: number, everyMs: number): number {
  return Math.floor(t / everyMs) * everyMs;
}

/**
 * The windows to compute now: from the checkpoint (the end of the last window done) up to the last
 * ready one, oldest first, at most `maxCatchUp` (the oldest beyond that are skipped and reported).
 * Without a checkpoint, only the last ready window.
 */
export function windowsToRun(
  checkpointEnd: number | undefined,
  now: number,
  everyMs: number,
  delayMs: number,
  maxCatchUp: number,
): { windows: Window[]; skipped: number } {
  const lastEnd = alignDown(now - delayMs, everyMs);
  let start = checkpointEnd === undefined ? lastEnd - everyMs : alignDown(checkpointEnd, everyMs);
  const total = Math.max(0, Math.round((lastEnd - start) / everyMs));
  let skipped = 0;
  if (total > maxCatchUp) {
    skipped = total - maxCatchUp;
    start = lastEnd - maxCatchUp * everyMs;
  }
  const windows: Window[] = [];
  for (let t = start; t + everyMs <= lastEnd; t += everyMs)
    windows.push({ from: new Date(t), to: new Date(t + everyMs) });
  return { windows, skipped };
}

/** Windows covering [from, to) for `--backfill`, aligned outward. */
export function backfillWindows(from: number, to: number, everyMs: number): Window[] {
  const out: Window[] = [];
  for (let t = alignDown(from, everyMs); t < to; t += everyMs)
    out.push({ from: new Date(t), to: new Date(t + everyMs) });
  return out;
}
