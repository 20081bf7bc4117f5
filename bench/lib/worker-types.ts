/** What each worker mode is given and returns (bench/worker.ts). */
import type { LoggerTool, Tool } from './tools.js';

export interface ProcessFigures {
  /** peak resident set size of the worker process */
  maxRssMiB: number;
  /** user + system CPU time of the whole process */
  cpuMs: number;
}

export interface RequestPathConfig {
  tool: LoggerTool;
  url: string;
  runId: string;
  calls: number;
  warmup: number;
}
export interface RequestPathResult extends ProcessFigures {
  medianUs: number;
  p99Us: number;
  errors: string[];
}

export interface ThroughputConfig {
  tool: Tool;
  url: string;
  runId: string;
  n: number;
  timeoutMs: number;
}
export interface ThroughputResult extends ProcessFigures {
  /** first log call until all documents were searchable; null when they never were within the timeout */
  ms: number | null;
  count: number;
  /** JSON bytes of one stored document's _source: what the node indexes per document */
  sourceBytes: number;
  errors: string[];
}

export interface OutageMemoryConfig {
  tool: LoggerTool;
  /** a loopback URL nothing listens on: the node is down */
  url: string;
  runId: string;
  n: number;
  arrivalMs: number;
}
export interface OutageMemoryResult extends ProcessFigures {
  rssBeforeMiB: number;
  /** growth of the heap in use plus external memory, each measured after a full collection */
  retainedGrowthMiB: number;
  crashed?: string;
  /** ours: documents on disk and in memory at the end */
  spilledDocs?: number;
  queued?: number;
  errors: string[];
}

export interface StreamConfig {
  tool: LoggerTool;
  url: string;
  runId: string;
  n: number;
  durationMs: number;
  drainTimeoutMs: number;
}
export interface StreamResult extends ProcessFigures {
  logged: number;
  errors: string[];
}

export interface WindowConfig {
  url: string;
  index: string;
  baselineFile: string;
  model: string;
  from: string;
  to: string;
}
export interface WindowResult extends ProcessFigures {
  docs: number;
  wallMs: number;
  /** the cluster's own time for the searches (`took`) */
  tookMs: number;
  searches: number;
}

export interface ProfileConfig {
  file: string;
}
export interface ProfileResult extends ProcessFigures {
  rows: number;
  ms: number;
  features: number;
}
