/** What an application logs for one prediction (README, "Logging predictions"). */
export interface PredictionLog {
  model?: string;
  version?: string;
  features: Record<string, unknown>;
  prediction?: unknown;
  latencyMs?: number;
  /** prediction id; generated when absent */
  id?: string;
  timestamp?: Date | string | number;
  /** correlation and service fields: `traceId`, `service` */
  context?: { traceId?: string; service?: string; [key: string]: unknown };
}
