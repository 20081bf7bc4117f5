/**
 * A stand-in for Watcher's execute API, for tests (the test node has no Watcher):
 * `POST /_watcher/watch/<id>/_execute` with `alternative_input`, `action_modes` and `record_execution`
 * as x-pack/plugin/watcher/src/main/java/org/elasticsearch/xpack/watcher/rest/action/RestExecuteWatchAction.java
 * parses them, answering `{ _id, watch_record }`. The condition is evaluated by the documented
 * compare / array_compare semantics (watcher-condition.ts); each action's Painless transform runs for
 * real on the ingest engine (`_scripts/painless/_execute`, with `ctx` passed in as a parameter), so a
 * transform that does not compile or throws on the payload makes its action a `failure` with the reason,
 * as Watcher reports it (ActionWrapperResult: status `simulated` / `failure`, `reason`).
 */
import type { RawRequest } from '../../src/es/raw-request.js';
import { evaluateCondition } from './watcher-condition.js';

type Body = Record<string, unknown>;

export function fakeWatcher(watches: Map<string, Body>, painless: RawRequest): RawRequest {
  return async (method, path, body) => {
    const m = /^\/_watcher\/watch\/([^/]+)\/_execute$/.exec(path);
    if (method !== 'POST' || !m) return { status: 404, body: { error: `no such route ${method} ${path}` } };
    const id = decodeURIComponent(m[1] as string);
    const watch = watches.get(id);
    if (!watch) return { status: 404, body: { error: { type: 'resource_not_found_exception' } } };
    const req = (body ?? {}) as Body;
    for (const k of Object.keys(req))
      if (
        ![
          'alternative_input',
          'action_modes',
          'record_execution',
          'ignore_condition',
          'trigger_data',
        ].includes(k)
      )
        return {
          status: 400,
          body: { error: { type: 'parse_exception', reason: `unexpected field [${k}]` } },
        };
    const payload = req.alternative_input ?? { hits: { total: 0, hits: [] } };
    const execution_time = new Date().toISOString();
    const ctx = { payload, watch_id: id, execution_time, metadata: watch.metadata as Body };
    const met = evaluateCondition(watch.condition as Body, { ctx });
    const actions: Body[] = [];
    if (met)
      for (const [actionId, action] of Object.entries(watch.actions as Record<string, Body>)) {
        const script = (action.transform as { script?: { source: string; params?: Body } } | undefined)
          ?.script;
        const type = Object.keys(action).find(
          (k) => !['transform', 'throttle_period', 'condition'].includes(k),
        );
        if (!script) {
          actions.push({ id: actionId, type, status: 'simulated' });
          continue;
        }
        const res = await painless('POST', '/_scripts/painless/_execute', {
          script: {
            source: `def ctx = params.__ctx;\n${script.source}`,
            params: { ...script.params, __ctx: ctx },
          },
        });
        actions.push(
          res.status === 200
            ? { id: actionId, type, status: 'simulated', transform: { type: 'script', status: 'success' } }
            : { id: actionId, type, status: 'failure', reason: JSON.stringify(res.body).slice(0, 300) },
        );
      }
    return {
      status: 200,
      body: {
        _id: `${id}_${execution_time}`,
        watch_record: {
          watch_id: id,
          state: met ? 'executed' : 'execution_not_needed',
          result: {
            execution_time,
            input: { type: 'simple', status: 'success', payload },
            condition: { type: Object.keys(watch.condition as Body)[0], status: 'success', met },
            actions,
          },
        },
      },
    };
  };
}
