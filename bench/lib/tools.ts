/**
 * The tools under test behind one small interface, so every scenario drives them the same way with the
 * same payloads. Peers get the options ours has where they have one (about 1 MB per bulk request, a 1 s
 * flush interval); everything else is their default. Each runs in a worker process of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import pinoElasticsearchModule from 'pino-elasticsearch';
import winston from 'winston';
import { ElasticsearchTransport, type ElasticsearchTransportOptions } from 'winston-elasticsearch';
import { createMonitor } from '../../src/transport/create-monitor.js';
import { dataStreamName } from '../../src/transport/document.js';
import type { TransportStats } from '../../src/transport/transport-stats.js';
import type { BenchPrediction } from './payload.js';

// the package is CommonJS (`module.exports = fn`) but its types declare a default export: under
// NodeNext the default import is the function itself at run time
const pinoElasticsearch = pinoElasticsearchModule as unknown as typeof pinoElasticsearchModule.default;

export const LOGGERS = ['ours', 'winston-elasticsearch', 'pino-elasticsearch'] as const;
export type LoggerTool = (typeof LOGGERS)[number];
export type Tool = LoggerTool | 'bulk-helper';

/** Where a tool's documents land and which field carries the payload's sequence number. */
export interface Destination {
  index: string;
  seqField: string;
}

/** The index (or data stream) and sequence field of a tool's documents for a run id. */
export function destinationOf(tool: Tool, runId: string): Destination {
  switch (tool) {
    case 'ours':
    case 'bulk-helper':
      return {
        index: dataStreamName(`bench_${runId}_${tool.replace('-', '_')}`),
        seqField: 'mlmon.prediction_id',
      };
    case 'winston-elasticsearch':
      return { index: `bench-${runId}-winston`, seqField: 'fields.seq' };
    case 'pino-elasticsearch':
      return { index: `bench-${runId}-pino`, seqField: 'seq' };
  }
}

export interface Logger {
  log(p: BenchPrediction): void;
  /** waits until the tool reports everything sent (ours); peers have no such signal, callers count instead */
  drain(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
  /** errors the tool reported (events, not exceptions) */
  errors: string[];
  /** ours only: the transport's counters */
  stats?: () => TransportStats;
}

export interface LoggerOptions {
  url: string;
  runId: string;
  /** ours: the disk buffer's directory (default: a fresh temporary one) */
  spillDir?: string;
}

export function createLogger(tool: LoggerTool, o: LoggerOptions): Logger {
  const errors: string[] = [];
  const note = (e: unknown) => {
    if (errors.length < 20) errors.push(e instanceof Error ? e.message : String(e));
  };
  const { index } = destinationOf(tool, o.runId);
  switch (tool) {
    case 'ours': {
      const spillDir = o.spillDir ?? mkdtempSync(join(tmpdir(), 'mlmon-bench-spill-'));
      // a directory of this worker's own: whatever the run left on disk goes with the worker
      if (!o.spillDir) process.once('exit', () => rmSync(spillDir, { recursive: true, force: true }));
      const monitor = createMonitor({
        node: o.url,
        namespace: index.replace('logs-mlmon.predictions-', ''),
        model: 'bench',
        version: '1',
        spillDir,
        baseline: false,
        checkTemplate: false,
      });
      monitor.transport.on('warn', (p: { code: string }) => note(p.code));
      return {
        log: (p) =>
          monitor.logPrediction({
            features: p.features,
            prediction: p.prediction,
            latencyMs: p.latencyMs,
            id: String(p.seq),
          }),
        drain: async (timeoutMs) => {
          await monitor.flush(timeoutMs);
        },
        close: async () => {
          await monitor.shutdown({ timeoutMs: 1000 });
        },
        errors,
        stats: () => monitor.stats(),
      };
    }
    case 'winston-elasticsearch': {
      // internalLogger is a documented option its type declarations lack
      const options: ElasticsearchTransportOptions & { internalLogger: (...args: unknown[]) => void } = {
        index,
        clientOpts: { node: o.url },
        flushInterval: 1000,
        // its template targets `logs-app-default*`, which these indices do not match
        ensureIndexTemplate: false,
        internalLogger: note,
      };
      const transport = new ElasticsearchTransport(options);
      transport.on('warning', note);
      const logger = winston.createLogger({ level: 'info', transports: [transport] });
      logger.on('error', note);
      return {
        log: (p) => logger.info('prediction', p),
        drain: async () => {},
        close: async () => {
          await transport.flush().catch(note);
          logger.close();
        },
        errors,
      };
    }
    case 'pino-elasticsearch': {
      const stream = pinoElasticsearch({
        index,
        node: o.url,
        esVersion: 8,
        flushBytes: 1_000_000,
        flushInterval: 1000,
      });
      stream.on('error', note);
      stream.on('insertError', note);
      const logger = pino({ level: 'info' }, stream);
      return {
        log: (p) => logger.info(p, 'prediction'),
        drain: async () => {},
        close: async () => {
          stream.end();
        },
        errors,
      };
    }
  }
}
