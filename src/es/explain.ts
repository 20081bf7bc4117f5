import { errors } from '@elastic/elasticsearch';
import { MlmonError } from '../contract/errors.js';

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i;

/** Turns a client error into one line naming the cause and the fix, with a documented exit code. */
export function explainEsError(err: unknown, where = 'the cluster'): MlmonError {
  if (err instanceof MlmonError) return err;
  if (err instanceof errors.ResponseError) {
    const status = err.meta.statusCode ?? 0;
    const body = err.meta.body as { error?: { type?: string; reason?: string } } | undefined;
    const reason = body?.error?.reason ?? err.message;
    if (status === 401) {
      return new MlmonError(`${where} refused the credentials (401): ${reason}`, {
        exit: 'auth',
        fix: 'check ES_API_KEY, or ES_USERNAME and ES_PASSWORD',
        cause: err,
      });
    }
    if (status === 403) {
      return new MlmonError(`not allowed (403): ${reason}`, {
        exit: 'auth',
        fix: 'grant the missing privilege named above to this user or key (README, "Roles")',
        cause: err,
      });
    }
    return new MlmonError(`${where} answered ${status} ${body?.error?.type ?? ''}: ${reason}`, {
      exit: 'firing',
      cause: err,
    });
  }
  if (err instanceof errors.ProductNotSupportedError) {
    return new MlmonError(`the server at ${where} is not Elasticsearch (no x-elastic-product header)`, {
      exit: 'connection',
      fix: 'point ES_URL at Elasticsearch itself, not at a proxy that strips headers',
      cause: err,
    });
  }
  if (err instanceof errors.ConnectionError || err instanceof errors.TimeoutError) {
    const message = err.message;
    if (TLS_CODES.test(message)) {
      return new MlmonError(`TLS failure talking to ${where}: ${message}`, {
        exit: 'connection',
        fix: 'give the CA that signed the cluster certificate (ES_CA_FILE) or its SHA-256 fingerprint (ES_CA_FINGERPRINT)',
        cause: err,
      });
    }
    return new MlmonError(`cannot reach ${where}: ${message}`, {
      exit: 'connection',
      fix: 'check ES_URL (or --node) and that the cluster is running',
      cause: err,
    });
  }
  return new MlmonError(err instanceof Error ? err.message : String(err), { exit: 'firing', cause: err });
}
