export { ConfigError, ExitCode, MlmonError } from './contract/errors.js';
export type { FeatureKind } from './contract/features.js';
export { type Capabilities, detectCapabilities } from './es/capabilities.js';
export {
  type ConnectionOptions,
  connectionFromEnv,
  createClient,
  resolveConnection,
} from './es/connection.js';
export { createMonitor, type Monitor, type MonitorOptions } from './transport/create-monitor.js';
export { dataStreamName, type PredictionDocument, toDocument } from './transport/document.js';
export type { LabelLog } from './transport/label.js';
export { MlInputTransport, type MlInputTransportOptions } from './transport/ml-input-transport.js';
export { type TransportOptions, transportDefaults } from './transport/options.js';
export type { PredictionLog } from './transport/prediction.js';
export { installShutdownHooks, type ShutdownHookOptions } from './transport/shutdown-hooks.js';
export type {
  ShutdownReport,
  TransportProblem,
  TransportStats,
  TransportWarning,
} from './transport/transport-stats.js';
