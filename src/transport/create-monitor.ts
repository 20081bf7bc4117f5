import winston from 'winston';
import type { LabelLog } from './label.js';
import { MlInputTransport, type MlInputTransportOptions } from './ml-input-transport.js';
import type { PredictionLog } from './prediction.js';
import type { ShutdownReport, TransportStats } from './transport-stats.js';

export interface MonitorOptions extends MlInputTransportOptions {
  /** the application's winston logger: the transport is added to it; otherwise a logger is made */
  logger?: winston.Logger;
}

export interface Monitor {
  transport: MlInputTransport;
  logger: winston.Logger;
  /** Queues one prediction; returns at once and never throws. */
  logPrediction(p: PredictionLog): void;
  /** Queues the ground truth of a prediction, by its id; returns at once and never throws. */
  logLabel(l: LabelLog): void;
  /** Sends everything queued; resolves true when nothing is left, false after `timeoutMs`. */
  flush(timeoutMs?: number): Promise<boolean>;
  shutdown(opts?: { timeoutMs?: number }): Promise<ShutdownReport>;
  stats(): TransportStats;
}

/**
 * The one-call setup. `logPrediction` hands the prediction straight to the transport (the fast
 * path); `logger.info('prediction', { features, ... })` works too and also reaches the logger's
 * other transports.
 */
export function createMonitor(options: MonitorOptions = {}): Monitor {
  const { logger: userLogger, ...transportOptions } = options;
  const transport = new MlInputTransport(transportOptions);
  const logger = userLogger ?? winston.createLogger({ level: 'info', transports: [] });
  logger.add(transport);
  return {
    transport,
    logger,
    logPrediction: (p) => transport.logPrediction(p),
    logLabel: (l) => transport.logLabel(l),
    flush: (timeoutMs) => transport.flush(timeoutMs),
    shutdown: (opts) => transport.shutdown(opts),
    stats: () => transport.stats(),
  };
}
