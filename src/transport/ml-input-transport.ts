import type { Client } from '@elastic/elasticsearch';
import { v7 as uuidv7 } from 'uuid';
import TransportStream from 'winston-transport';
import { type ConnectionOptions, createClient } from '../es/connection.js';
import { dataStreamName, type PredictionDocument, toDocument } from './document.js';
import type { PredictionLog } from './prediction.js';

export interface MlInputTransportOptions extends TransportStream.TransportStreamOptions {
  /** an existing client; otherwise one is made from `connection` and the environment */
  client?: Client;
  connection?: ConnectionOptions;
  /** data stream namespace: `logs-mlmon.predictions-<namespace>` */
  namespace?: string;
  /** defaults for each prediction */
  model?: string;
  version?: string;
}

/** winston `info` objects that carry a prediction: `logger.info('prediction', { model, features, ... })` */
function asPrediction(info: Record<string, unknown>): PredictionLog | undefined {
  const features = info.features;
  if (typeof features !== 'object' || features === null || Array.isArray(features)) return undefined;
  return info as unknown as PredictionLog;
}

/**
 * First slice of the transport: queues documents and ships them with `_bulk` `create` into the
 * predictions data stream. Batching limits, retries, spill and dead letters come with the transport issue.
 */
export class MlInputTransport extends TransportStream {
  readonly client: Client;
  readonly dataStream: string;
  private readonly ownsClient: boolean;
  private readonly defaults: { model?: string; version?: string };
  private readonly namespace: string;
  private queue: PredictionDocument[] = [];
  private inFlight: Promise<void> | undefined;
  private scheduled = false;
  indexed = 0;
  failed = 0;

  constructor(opts: MlInputTransportOptions = {}) {
    super(opts);
    this.ownsClient = !opts.client;
    this.client = opts.client ?? createClient(opts.connection);
    this.namespace = opts.namespace ?? 'default';
    this.dataStream = dataStreamName(this.namespace);
    this.defaults = {
      ...(opts.model ? { model: opts.model } : {}),
      ...(opts.version ? { version: opts.version } : {}),
    };
  }

  override log(info: Record<string, unknown>, callback: () => void): void {
    const prediction = asPrediction(info);
    if (prediction) {
      const level = typeof info.level === 'string' ? info.level : 'info';
      this.queue.push(
        toDocument({ ...this.defaults, ...prediction }, { id: uuidv7(), namespace: this.namespace, level }),
      );
      this.schedule();
    }
    callback();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** Ships everything queued so far; resolves when it is stored (or counted as failed). */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.inFlight = this.ship(batch).finally(() => {
      this.inFlight = undefined;
    });
    await this.inFlight;
  }

  private async ship(batch: PredictionDocument[]): Promise<void> {
    const operations = batch.flatMap((doc) => [
      { create: { _index: this.dataStream, _id: doc.mlmon.prediction_id } },
      doc,
    ]);
    try {
      const res = await this.client.bulk({ operations });
      for (const item of res.items) {
        const status = item.create?.status ?? 0;
        // 409: a retried document that already arrived is stored, not duplicated
        if (status < 300 || status === 409) this.indexed++;
        else this.failed++;
      }
    } catch (err) {
      this.failed += batch.length;
      this.emit('warn', err);
    }
  }

  override close(): void {
    void this.flush().finally(() => {
      if (this.ownsClient) void this.client.close();
    });
  }
}
