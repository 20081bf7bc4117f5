/** What every scenario is given: the node, the sizes of this mode, and a progress log. */
import type { BenchNode } from './node.js';

export interface Sizes {
  repeats: number;
  requestCalls: number;
  requestWarmup: number;
  throughputDocs: number;
  throughputTimeoutMs: number;
  memoryDocs: number;
  memoryArrivalMs: number;
  memoryRepeats: number;
  outageDocs: number;
  outageStreamMs: number;
  outageDownMs: number;
  /** after the stream, how long each tool may take to deliver */
  outageDrainMs: number;
  jobDocs: number[];
  jobRepeats: number;
  baselineBytes: number;
  baselineRepeats: number;
  /** the verdicts table: window sizes, windows per size, documents per pool */
  verdictWindowSizes: number[];
  verdictCleanWindows: number;
  verdictShiftWindows: number;
  verdictCleanPool: number;
  verdictShiftPool: number;
  /** the tables of the verdicts scenario by name; undefined: all of them */
  verdictTables?: string[];
}

export const fullSizes: Sizes = {
  repeats: 3,
  requestCalls: 20_000,
  requestWarmup: 2_000,
  throughputDocs: 200_000,
  throughputTimeoutMs: 240_000,
  memoryDocs: 200_000,
  memoryArrivalMs: 10_000,
  memoryRepeats: 2,
  outageDocs: 100_000,
  outageStreamMs: 60_000,
  outageDownMs: 30_000,
  outageDrainMs: 90_000,
  jobDocs: [100_000, 1_000_000, 3_000_000],
  jobRepeats: 3,
  baselineBytes: 1024 ** 3,
  baselineRepeats: 1,
  verdictWindowSizes: [100, 1_000, 10_000],
  verdictCleanWindows: 200,
  verdictShiftWindows: 60,
  verdictCleanPool: 200_000,
  verdictShiftPool: 50_000,
};

/** Tiny sizes: keeps the scripts working in CI (test/integration/bench-smoke.test.ts). */
export const smokeSizes: Sizes = {
  repeats: 1,
  requestCalls: 300,
  requestWarmup: 50,
  throughputDocs: 1_000,
  throughputTimeoutMs: 30_000,
  memoryDocs: 1_000,
  memoryArrivalMs: 200,
  memoryRepeats: 1,
  outageDocs: 600,
  outageStreamMs: 6_000,
  outageDownMs: 1_000,
  // ours retries with backoff capped at 30 s (its default), so it may wait that long after the restart
  outageDrainMs: 40_000,
  jobDocs: [1_000, 3_000],
  jobRepeats: 1,
  baselineBytes: 512 * 1024,
  baselineRepeats: 1,
  // one size: each new size costs every feature a null simulation
  verdictWindowSizes: [100],
  verdictCleanWindows: 3,
  verdictShiftWindows: 2,
  verdictCleanPool: 500,
  verdictShiftPool: 300,
  // the smallest table and the one with text: each table costs every feature a null simulation
  verdictTables: ['cars', 'earthquakes'],
};

export interface BenchContext {
  node: BenchNode;
  url: string;
  /** a loopback URL nothing listens on: a node that is down */
  deadUrl: string;
  sizes: Sizes;
  smoke: boolean;
  /** unique per run: names of indices and data streams */
  runId: string;
  log(message: string): void;
}
