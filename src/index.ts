export { ConfigError, ExitCode, MlmonError } from './errors.js';
export {
  type ConnectionOptions,
  connectionFromEnv,
  createClient,
  resolveConnection,
} from './es/connection.js';
export { type Capabilities, detectCapabilities } from './setup/capabilities.js';
export { dataStreamName, type PredictionDocument, toDocument } from './transport/document.js';
export { MlInputTransport, type MlInputTransportOptions } from './transport/ml-input-transport.js';
export type { PredictionLog } from './transport/prediction.js';
