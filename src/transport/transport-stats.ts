/** What `stats()` reports (README, "Observing the transport"). */
export interface TransportStats {
  /**
   * predictions taken (not sampled out, not ignored). Always
   * `logged + adopted = indexed + deadLettered + failed + queued + inFlight + spilledDocs + dropped`.
   */
  logged: number;
  /** documents found in the disk buffer from earlier runs, sent by this one */
  adopted: number;
  /** in memory, waiting to be sent (including items waiting for a retry) */
  queued: number;
  /** in requests under way */
  inFlight: number;
  /** stored (a 409 for a retried document that had already arrived counts here, once) */
  indexed: number;
  /** documents sent again after a retryable failure */
  retried: number;
  /** could be neither stored nor dead-lettered */
  failed: number;
  /** stored in the dead-letter destination with the reason */
  deadLettered: number;
  /** given up on: overflow of the memory bound, past the disk limit, a failed disk write or read */
  dropped: number;
  /** left out by sampling (not a loss: documents carry the rate) */
  sampledOut: number;
  /** winston entries without a `features` object: not predictions */
  ignored: number;
  /** on disk now */
  spilledBytes: number;
  spilledDocs: number;
  lastError: { message: string; at: string } | undefined;
  lastSuccessAt: string | undefined;
  /**
   * feature values the index's limits would have made unsearchable, flagged in `mlmon.flags`:
   * categorical values cut to the keyword's `ignore_above` (`truncated_keyword:`) and new fields past
   * the stream's field limit (`field_limit:`). Always set by the transport's `stats()`.
   */
  limitedFields?: number;
  /** labels handed to `logLabel` and queued (they count in `logged` and `indexed` like predictions). Always set by `stats()`. */
  labels?: number;
  /** labels refused by `logLabel` (no id, a label of no supported type, an invalid timestamp): warned as `label_refused` */
  labelsRefused?: number;
}

/** The counts the shipper keeps; the rest of the stats are read from its queue and disk buffer. */
export type ShipperCounters = Pick<
  TransportStats,
  'logged' | 'indexed' | 'retried' | 'failed' | 'deadLettered' | 'dropped' | 'sampledOut' | 'ignored'
>;

/** A problem the transport reports through its `warn` event; it never throws into the application. */
export interface TransportProblem {
  severity: 'warning' | 'error';
  code:
    | 'cluster_unavailable'
    | 'cluster_available'
    | 'dead_lettered'
    | 'failed'
    | 'dropped_overflow'
    | 'dropped_disk_limit'
    | 'spill_write_failed'
    | 'spill_unavailable'
    | 'spill_adopt_failed'
    | 'spill_read_failed'
    | 'spill_malformed_line'
    | 'logged_after_shutdown'
    | 'auth_failed'
    | 'template_missing'
    | 'mapping_mismatch'
    | 'baseline_unavailable'
    | 'field_limit'
    | 'label_refused';
  message: string;
  count?: number;
  /** the HTTP status of the cluster's answer, when there was one */
  status?: number;
  /** the cluster's error type (`security_exception`), or the client's (`ConnectionError`) */
  errorType?: string;
  /** the cluster's reason, without previews of field values */
  reason?: string;
  /** the underlying error, for the transport's own use: never passed to a `warn` listener */
  error?: Error;
}

/** What a `warn` listener receives: no error objects, no document bodies, no credentials. */
export type TransportWarning = Omit<TransportProblem, 'error'>;

export interface ShutdownReport {
  /** everything was sent */
  complete: boolean;
  /** `logged + adopted = indexed + deadLettered + failed + dropped + savedToDisk` */
  logged: number;
  adopted: number;
  indexed: number;
  deadLettered: number;
  failed: number;
  dropped: number;
  /** documents not sent in time but written to the disk buffer: the next start sends them */
  savedToDisk: number;
  /** of `dropped`, those neither sent nor saved at shutdown (no disk buffer, or it failed) */
  unsent: number;
  durationMs: number;
}
