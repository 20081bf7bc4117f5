/**
 * `mlmon doctor`: proves on the user's own cluster that each installed piece works there, as a
 * checklist. Each line passes, fails with the fix, or is skipped with the reason (a capability the
 * cluster lacks, a privilege these credentials lack, a check that needs an earlier one to pass).
 * Everything it writes is a canary under a model name of its own, removed again.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { roleAssets } from '../assets/catalog.js';
import type { Baseline } from '../contract/baseline-document.js';
import { FIELDS } from '../contract/document-fields.js';
import { ExitCode, MlmonError } from '../contract/errors.js';
import {
  type FieldCapsBody,
  fieldTypeMismatches,
  KIND_TYPES,
  mismatchText,
} from '../contract/field-types.js';
import { DEFAULT_NAMESPACE, predictionsStream } from '../contract/streams.js';
import { explainEsError } from '../es/explain.js';
import type { RawRequest } from '../es/raw-request.js';
import { computeWindow } from '../metrics/window.js';
import { defaultRules } from '../rules/rule-table.js';
import { checkSupported } from '../setup/cluster-support.js';
import { type KibanaConnection, kibanaRule } from '../setup/kibana.js';
import { checkLive } from '../setup/live-check.js';
import { drift, planSetup, type SetupPlan } from '../setup/setup-plan.js';
import { MlInputTransport } from '../transport/ml-input-transport.js';
import { type Check, fail, pass, skip } from './check.js';
import { pipelineCheck } from './pipeline-check.js';
import { watchChecks } from './watch-check.js';

export type { Check, CheckStatus } from './check.js';

export interface DoctorOptions {
  namespace?: string;
  baselines: Baseline[];
  /** roles kept in a file realm's roles.yml (setup --roles-file): compared with that file */
  rolesFile?: string;
  /** Kibana: its saved objects are asset lines, its rules are checked enabled and running */
  kibana?: KibanaConnection;
}

/** The model name of the canary: no baseline has it, so the job never reads its window. */
export const CANARY_MODEL = 'mlmon_doctor_canary';

/** What these credentials may do, per product role (`_security/user/_has_privileges`). */
async function roleChecks(request: RawRequest, namespace: string | undefined): Promise<Check[]> {
  const out: Check[] = [];
  for (const role of roleAssets(namespace ? { namespace } : {})) {
    const body = role.body as {
      cluster?: string[];
      indices?: { names: string[]; privileges: string[] }[];
    };
    const res = await request('POST', '/_security/user/_has_privileges', {
      cluster: body.cluster ?? [],
      index: body.indices ?? [],
    });
    const name = `privileges of ${role.name}`;
    if (res.status !== 200) {
      out.push(skip(name, `_has_privileges answered HTTP ${res.status}`));
      continue;
    }
    const r = res.body as { has_all_requested: boolean; index?: Record<string, Record<string, boolean>> };
    if (r.has_all_requested) out.push(pass(name, 'these credentials hold them'));
    else {
      const missing = Object.entries(r.index ?? {}).flatMap(([index, privs]) =>
        Object.entries(privs)
          .filter(([, ok]) => !ok)
          .map(([p]) => `${p} on ${index}`),
      );
      // not a failure: a shipper's key is not meant to hold the job's privileges
      out.push(
        skip(
          name,
          `these credentials lack ${missing.join(', ') || 'some of them'}: what needs them is not checked`,
        ),
      );
    }
  }
  return out;
}

/** A prediction through the real transport, read back with its types, then deleted. */
async function canaryCheck(client: Client, namespace: string): Promise<Check> {
  const name = 'canary prediction';
  const id = `mlmon-doctor-${randomUUID()}`;
  const transport = new MlInputTransport({
    client,
    namespace,
    model: CANARY_MODEL,
    version: 'canary',
    spillDir: false,
    checkTemplate: false,
  });
  transport.logPrediction({ features: { x: 1.5, c: 'a', flag: true }, id });
  const flushed = await transport.flush(30_000);
  const stats = transport.stats();
  await transport.shutdown({ timeoutMs: 5_000 });
  if (!flushed || stats.indexed !== 1)
    return fail(
      name,
      `the transport did not index it: ${stats.lastError ?? JSON.stringify(stats)}`,
      'run `mlmon setup` and check the shipper role (README, "Roles")',
    );
  const stream = predictionsStream(namespace);
  await client.indices.refresh({ index: stream });
  const found = await client.search({ index: stream, query: { term: { [FIELDS.predictionId]: id } } });
  const hit = found.hits.hits[0];
  if (!hit?._index)
    return fail(name, 'indexed but not found again', 'check the stream with `mlmon setup --check`');
  try {
    const expected = {
      [FIELDS.model]: KIND_TYPES.categorical,
      'mlmon.features.num.x': KIND_TYPES.numeric,
      'mlmon.features.cat.c': KIND_TYPES.categorical,
      'mlmon.features.bool.flag': KIND_TYPES.boolean,
    };
    const caps = await client.fieldCaps({ index: hit._index, fields: Object.keys(expected) });
    const typed = Object.keys(expected).filter((f) => caps.fields[f] !== undefined);
    const mismatches = fieldTypeMismatches(caps as FieldCapsBody, expected);
    if (typed.length !== Object.keys(expected).length)
      return fail(
        name,
        `fields missing in ${hit._index}: ${Object.keys(expected)
          .filter((f) => !typed.includes(f))
          .join(', ')}`,
        'run `mlmon setup --check`',
      );
    if (mismatches.length)
      return fail(name, mismatches.map(mismatchText).join('; '), 'run `mlmon setup --check`');
    return pass(
      name,
      `written through the transport into ${hit._index} and read back with the expected types`,
    );
  } finally {
    // a data stream deletes by backing index and id (the test node has no _delete_by_query)
    await client.delete({ index: hit._index, id: hit._id as string, refresh: true }, { ignore: [404] });
  }
}

/** The job's window query for each stored baseline, on the live mappings, over the last hour. */
async function windowChecks(client: Client, namespace: string, baselines: Baseline[]): Promise<Check[]> {
  if (!baselines.length) return [skip('window query', 'no baselines stored yet (`mlmon baseline`)')];
  const out: Check[] = [];
  const to = new Date();
  const from = new Date(to.getTime() - 3_600_000);
  for (const b of baselines) {
    const name = `window query ${b.model}@${b.version}`;
    try {
      const m = await computeWindow(
        client,
        { model: b.model, version: b.version, from, to, index: predictionsStream(namespace) },
        b,
        defaultRules,
      );
      out.push(pass(name, `ran on the live mappings (${m.docs} documents in the last hour)`));
    } catch (err) {
      const e = err instanceof MlmonError ? err : undefined;
      out.push(fail(name, e?.message ?? String(err), e?.fix ?? 'run `mlmon setup --check`'));
    }
  }
  return out;
}

/** Runs one part; a part these credentials may not run is skipped with what the cluster said. */
async function guarded(name: string, part: () => Promise<Check[]>): Promise<Check[]> {
  try {
    return await part();
  } catch (err) {
    const e = explainEsError(err);
    if (e.exitCode === ExitCode.auth) return [skip(name, `these credentials may not: ${e.message}`)];
    throw e;
  }
}

export async function runDoctor(client: Client, request: RawRequest, o: DoctorOptions): Promise<Check[]> {
  const namespace = o.namespace ?? DEFAULT_NAMESPACE;
  const scope = o.namespace ? { namespace: o.namespace } : {};
  let plan: SetupPlan | undefined;
  const checks = await guarded('cluster and assets', async () => {
    plan = await planSetup(request, {
      ...scope,
      baselines: o.baselines,
      ...(o.rolesFile ? { rolesFile: o.rolesFile } : {}),
      ...(o.kibana ? { kibana: o.kibana } : {}),
    });
    return assetChecks(plan);
  });
  if (checks.some((c) => c.name === 'cluster' && c.status === 'fail')) return checks;
  const differing = plan ? drift(plan) : [];
  const live = await guarded('live streams', async () => {
    const report = await checkLive(request, { ...scope, baselines: o.baselines });
    return report.problems.length
      ? report.problems.map((p) =>
          fail(`live ${p.stream}${p.field ? ` ${p.field}` : ''}`, `${p.problem} (${p.cause})`, p.fix),
        )
      : [pass('live streams', report.streams.map((s) => s.name).join(', ') || 'none yet')];
  });
  checks.push(...live);
  const templatesOk =
    plan !== undefined &&
    !differing.some((e) => e.kind === 'index_template' || e.kind === 'component_template');
  const streamOk = live.every((c) => c.status === 'pass');
  if (!templatesOk || !streamOk)
    checks.push(
      skip(
        'canary prediction',
        plan
          ? 'the templates or the stream need `mlmon setup` first (above)'
          : 'the templates could not be read with these credentials',
      ),
    );
  else
    checks.push(...(await guarded('canary prediction', async () => [await canaryCheck(client, namespace)])));
  checks.push(...(await guarded('window query', () => windowChecks(client, namespace, o.baselines))));
  const caps = plan?.capabilities;
  if (caps && !caps.security)
    checks.push(skip('privileges', 'security is off on this cluster: every request is allowed'));
  else checks.push(...(await guarded('privileges', () => roleChecks(request, o.namespace))));
  checks.push(...(await guarded('watch execution', () => watchChecks(request, plan))));
  checks.push(...(await guarded('Kibana rules', () => kibanaRuleChecks(o.kibana, plan))));
  checks.push(
    ...(await guarded('ingest pipeline simulation', async () => [
      await pipelineCheck(request, plan, o.namespace),
    ])),
  );
  return checks;
}

/**
 * Each Kibana rule setup installed: enabled, and its last run not an error (the rule GET's
 * `enabled` and `execution_status.status`, x-pack/platform/plugins/shared/alerting/common/routes/rule/
 * response schemas in Kibana's source).
 */
async function kibanaRuleChecks(
  k: KibanaConnection | undefined,
  plan: SetupPlan | undefined,
): Promise<Check[]> {
  if (!k) return [skip('Kibana rules', 'no Kibana given (--kibana or KIBANA_URL)')];
  const installed = (plan?.entries ?? []).filter(
    (e) =>
      e.kind === 'kibana_objects' &&
      e.name.startsWith('alerting rule ') &&
      (e.action === 'unchanged' || e.action === 'update'),
  );
  if (!installed.length)
    return [skip('Kibana rules', 'none installed (Watcher alerts here, or see the asset lines above)')];
  const out: Check[] = [];
  for (const e of installed) {
    const id = e.name.slice('alerting rule '.length);
    const rule = await kibanaRule(k, id);
    const status = (rule?.execution_status as { status?: string; error?: { message?: string } } | undefined)
      ?.status;
    if (!rule) out.push(fail(e.name, 'not found', 'run `mlmon setup --kibana`'));
    else if (rule.enabled !== true)
      out.push(fail(e.name, 'disabled: it never runs', 'enable it in Kibana (Stack Management, Rules)'));
    else if (status === 'error')
      out.push(
        fail(
          e.name,
          `its last run failed: ${(rule.execution_status as { error?: { message?: string } }).error?.message ?? 'no reason given'}`,
          'open the rule in Kibana (Stack Management, Rules) for the error; `mlmon setup --kibana` reinstalls it',
        ),
      );
    else out.push(pass(e.name, `enabled, last run ${status ?? 'not yet'}`));
  }
  return out;
}

/** The cluster line and one line per asset of the plan. */
function assetChecks(plan: SetupPlan): Check[] {
  const caps = plan.capabilities;
  const out: Check[] = [];
  try {
    checkSupported(caps);
    out.push(
      pass(
        'cluster',
        `${caps.engine} ${caps.version}, license ${caps.license ?? 'n/a'}; ${plan.notes.join('; ')}`,
      ),
    );
  } catch (err) {
    out.push(fail('cluster', (err as Error).message, (err as MlmonError).fix ?? 'see README, "Installing"'));
    return out;
  }
  const differing = drift(plan);
  for (const e of plan.entries) {
    const what = `${e.kind.replace('_', ' ')} ${e.name}`;
    if (e.action === 'skip') out.push(skip(what, e.reason ?? 'not for this cluster'));
    else if (e.action === 'unchanged') out.push(pass(what, 'installed and unchanged'));
    else if (differing.includes(e))
      out.push(
        fail(
          what,
          e.action === 'create' ? 'missing' : `changed: ${(e.differences ?? []).slice(0, 3).join('; ')}`,
          'run `mlmon setup`',
        ),
      );
  }
  return out;
}

/** exit 0 only when every check that applies passes */
export const doctorPassed = (checks: Check[]) => checks.every((c) => c.status !== 'fail');
