import { MlmonError } from '../contract/errors.js';

/**
 * A REST call that the cluster answered with an error status. Callers branch on `status` and
 * `errorType`, never on the message; the message is for people.
 */
export class RequestError extends MlmonError {
  readonly status: number;
  /** the cluster's `error.type`, when it gave one */
  readonly errorType: string | undefined;
  /** the cluster's `error.reason` (or the body's start) */
  readonly reason: string;
  constructor(what: string, status: number, body: unknown) {
    const error = (body as { error?: { type?: string; reason?: string } | string } | undefined)?.error;
    const reason =
      typeof error === 'string' ? error : (error?.reason ?? JSON.stringify(body)?.slice(0, 300) ?? '');
    const auth = status === 401 || status === 403;
    super(
      status === 401
        ? `${what}: the cluster refused the credentials (401): ${reason}`
        : status === 403
          ? `${what}: not allowed (403): ${reason}`
          : `${what}: HTTP ${status}: ${reason}`,
      {
        exit: auth ? 'auth' : 'firing',
        ...(status === 401
          ? { fix: 'check ES_API_KEY, or ES_USERNAME and ES_PASSWORD' }
          : status === 403
            ? {
                fix: 'run setup as a user with the privileges README "Roles" lists for setup (the missing one is named above)',
              }
            : {}),
      },
    );
    this.name = 'RequestError';
    this.status = status;
    this.errorType = typeof error === 'object' ? error?.type : undefined;
    this.reason = reason;
  }
}

/** One line naming what failed and why; 401/403 explained with the privilege the cluster names. */
export function requestFailed(what: string, status: number, body: unknown): RequestError {
  return new RequestError(what, status, body);
}
