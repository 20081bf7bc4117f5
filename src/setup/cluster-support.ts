/**
 * What the installer needs to know of the cluster before planning: is it supported, what can it do
 * (capabilities, in words), and the errors of the probe explained.
 */
import { MlmonError } from '../contract/errors.js';
import { type Capabilities, detectCapabilities, versionAtLeast } from '../es/capabilities.js';
import type { RawRequest } from '../es/raw-request.js';
import { RequestError } from '../es/request-error.js';

/** The oldest Elasticsearch this version supports (the 9.x client's compatibility headers need 9.0). */
export const MIN_ELASTICSEARCH = [9, 0] as const;

/** Ingest pipelines need the script processor with Painless (the tokenizer and derived fields). */
export function hasIngest(caps: Capabilities): boolean {
  return caps.painless && ['script', 'pipeline', 'set'].every((p) => caps.ingestProcessors.includes(p));
}

/** What the capabilities decided, in words: what is used, what is skipped and why. */
export function capabilityNotes(caps: Capabilities, o: { ilm?: boolean; kibana?: unknown }): string[] {
  const notes: string[] = [];
  notes.push(
    caps.failureStore
      ? 'failure store: on for new prediction streams (documents the cluster rejects are kept there)'
      : 'failure store: not on this cluster; the transport keeps rejected documents in the dead-letter stream',
  );
  if (!caps.ilm) notes.push('ILM: not on this cluster; retention by the data stream lifecycle');
  else if (!o.ilm) notes.push('ILM: available; retention by the data stream lifecycle (--ilm to use ILM)');
  if (!caps.security) notes.push('security: off on this cluster; roles skipped');
  notes.push(
    hasIngest(caps)
      ? 'ingest: pipelines installed; prediction streams derive fields of documents from other shippers'
      : 'ingest: no script processor with Painless here; pipelines skipped (the transport derives its own documents)',
  );
  notes.push(
    caps.watcher
      ? `Watcher: license ${caps.license} has it; watches installed`
      : `Watcher: ${caps.license ? `license ${caps.license} has no Watcher` : 'not on this cluster'}; alerts come from \`mlmon run\` (the job)`,
  );
  if (!o.kibana) notes.push('Kibana: none given (--kibana or KIBANA_URL); data views and dashboards skipped');
  return notes;
}

/** One line for a cluster that is too old or not what we support. */
export function checkSupported(caps: Capabilities): void {
  if (
    caps.engine === 'elasticsearch' &&
    !versionAtLeast(caps.version, MIN_ELASTICSEARCH[0], MIN_ELASTICSEARCH[1])
  )
    throw new MlmonError(
      `Elasticsearch ${caps.version} is too old: mlmon needs ${MIN_ELASTICSEARCH.join('.')} or newer`,
      {
        exit: 'config',
        fix: 'upgrade the cluster (docker-compose.yml in the repository runs a supported version)',
      },
    );
}

export async function detect(request: RawRequest): Promise<Capabilities> {
  try {
    return await detectCapabilities(request);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    // an 8.x node refuses the 9.x client's `compatible-with=9` headers before anything else
    if (/Accept version must be either version 8 or 7/i.test(text))
      throw new MlmonError('the cluster is Elasticsearch 8.x or older: mlmon needs 9.0 or newer', {
        exit: 'config',
        fix: 'upgrade the cluster to Elasticsearch 9',
        cause: err,
      });
    if (err instanceof RequestError && err.status === 403)
      throw new MlmonError(`not allowed (403) to read what the cluster can do: ${err.reason.slice(0, 400)}`, {
        exit: 'auth',
        fix: 'run setup as a user with the privileges README "Roles" lists for setup (the missing one is named above); nothing was applied',
        cause: err,
      });
    if (err instanceof RequestError && err.status === 401)
      throw new MlmonError(`the cluster refused the credentials (401)`, {
        exit: 'auth',
        fix: 'check ES_API_KEY, or ES_USERNAME and ES_PASSWORD',
        cause: err,
      });
    throw err;
  }
}
