/**
 * Kibana cannot run on the test machines. This server answers the four Kibana APIs setup uses,
 * enforcing what their documentation requires of a request (README, "Kibana"): `kbn-xsrf` on
 * state-changing calls, multipart NDJSON with a `file` part for imports, every object with type,
 * id and attributes, references resolvable, and no object newer than this Kibana. It is a contract
 * check of our requests, not a Kibana: it does not render or migrate anything.
 *
 * Spaces (`/s/<space>/...`) follow Kibana's import: an object whose id is taken in another space gets
 * a new id in this one, with our id as its `originId` (check_conflicts.ts, the unresolvable conflict),
 * and a later import of the same id into that space overwrites the copy (check_origin_conflicts.ts);
 * references inside an import follow the new ids. `_find` returns each object with its `originId`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface KibanaRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

export interface FakeKibana {
  url: string;
  requests: KibanaRequest[];
  /** stored objects of the default space by `type:id` */
  objects: Map<string, Record<string, unknown>>;
  /** stored objects of every space (the default one is `objects`) */
  spaces: Map<string, Map<string, Record<string, unknown>>>;
  imports: Record<string, unknown>[][];
  /** alerting rules by id */
  rules: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

const compareVersions = (a: string, b: string) => {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
};

export async function startFakeKibana(
  opts: { version?: string; authorization?: string } = {},
): Promise<FakeKibana> {
  const version = opts.version ?? '9.2.8';
  const requests: KibanaRequest[] = [];
  const objects = new Map<string, Record<string, unknown>>();
  const spaces = new Map([['default', objects]]);
  const inSpace = (space: string) => {
    const m = spaces.get(space) ?? new Map<string, Record<string, unknown>>();
    spaces.set(space, m);
    return m;
  };
  const imports: Record<string, unknown>[][] = [];
  const rules = new Map<string, Record<string, unknown>>();

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://kibana');
    const spaceMatch = /^\/s\/([^/]+)(\/.*)$/.exec(url.pathname);
    const space = spaceMatch ? decodeURIComponent(spaceMatch[1] as string) : 'default';
    if (spaceMatch) url.pathname = spaceMatch[2] as string;
    const here = inSpace(space);
    requests.push({ method: req.method ?? '', path: url.pathname + url.search, headers: req.headers });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (opts.authorization && req.headers.authorization !== opts.authorization)
      return send(401, { statusCode: 401, error: 'Unauthorized', message: 'Unauthorized' });
    if (req.method !== 'GET' && req.headers['kbn-xsrf'] === undefined)
      return send(400, {
        statusCode: 400,
        error: 'Bad Request',
        message: 'Request must contain a kbn-xsrf header.',
      });

    if (req.method === 'GET' && url.pathname === '/api/status')
      return send(200, { version: { number: version } });

    if (req.method === 'POST' && url.pathname === '/api/saved_objects/_bulk_get') {
      const refs = JSON.parse(body.toString('utf8')) as { type: string; id: string }[];
      if (!Array.isArray(refs) || refs.some((r) => !r.type || !r.id))
        return send(400, { statusCode: 400, message: 'expected an array of {type, id}' });
      return send(200, {
        saved_objects: refs.map((r) => {
          const o = here.get(`${r.type}:${r.id}`);
          return (
            o ?? { ...r, error: { statusCode: 404, error: 'Not Found', message: 'Saved object not found' } }
          );
        }),
      });
    }

    if (req.method === 'GET' && url.pathname === '/api/saved_objects/_find') {
      const types = url.searchParams.getAll('type');
      if (!types.length)
        return send(400, { statusCode: 400, message: '[request query.type]: expected value' });
      const perPage = Number(url.searchParams.get('per_page') ?? 20);
      const page = Number(url.searchParams.get('page') ?? 1);
      const all = [...here.values()].filter((o) => types.includes(o.type as string));
      return send(200, {
        page,
        per_page: perPage,
        total: all.length,
        saved_objects: all
          .slice((page - 1) * perPage, page * perPage)
          .map((o) => ({ ...o, namespaces: [space] })),
      });
    }

    if (req.method === 'POST' && url.pathname === '/api/saved_objects/_import') {
      if (!String(req.headers['content-type']).startsWith('multipart/form-data'))
        return send(415, { statusCode: 415, message: 'expected multipart/form-data' });
      const form = await new Request('http://kibana/', {
        method: 'POST',
        headers: { 'content-type': String(req.headers['content-type']) },
        body,
      }).formData();
      const file = form.get('file');
      if (!(file instanceof Blob) || !(file as File).name?.endsWith('.ndjson'))
        return send(400, { statusCode: 400, message: 'Invalid file extension .undefined' });
      const lines = (await file.text()).split('\n').filter((l) => l.trim());
      const incoming = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const errors: unknown[] = [];
      const ids = new Set(incoming.map((o) => `${o.type}:${o.id}`));
      for (const o of incoming) {
        if (typeof o.type !== 'string' || typeof o.id !== 'string' || typeof o.attributes !== 'object') {
          errors.push({
            id: o.id,
            type: o.type,
            error: { type: 'unknown', message: 'type, id and attributes are required' },
          });
          continue;
        }
        for (const v of [o.coreMigrationVersion, o.typeMigrationVersion]) {
          // 10.x are model versions (newer types); a core version above ours is from a newer Kibana
          if (typeof v === 'string' && !v.startsWith('10.') && compareVersions(v, version) > 0)
            errors.push({
              id: o.id,
              type: o.type,
              error: { type: 'unknown', message: `belongs to a more recent version of Kibana [${v}]` },
            });
        }
        for (const r of (o.references as { type: string; id: string }[] | undefined) ?? []) {
          if (!ids.has(`${r.type}:${r.id}`) && !here.has(`${r.type}:${r.id}`))
            errors.push({ id: o.id, type: o.type, error: { type: 'missing_references', references: [r] } });
        }
        const exists = here.has(`${o.type}:${o.id}`);
        if (exists && url.searchParams.get('overwrite') !== 'true')
          errors.push({ id: o.id, type: o.type, error: { type: 'conflict' } });
      }
      if (errors.length) return send(200, { success: false, successCount: 0, errors });
      imports.push(incoming);
      // where each object lands: its id, the copy that names it as origin, or a new id when the id
      // is taken in another space
      const destination = new Map<string, string>();
      for (const o of incoming) {
        const key = `${o.type}:${o.id}`;
        const copy = [...here.values()].find((x) => x.type === o.type && x.originId === o.id);
        const takenElsewhere = [...spaces].some(([s2, m]) => s2 !== space && m.has(key));
        destination.set(
          key,
          here.has(key)
            ? (o.id as string)
            : copy
              ? (copy.id as string)
              : takenElsewhere
                ? randomUUID()
                : (o.id as string),
        );
      }
      const results = incoming.map((o) => {
        const id = destination.get(`${o.type}:${o.id}`) as string;
        const references = (
          (o.references as { type: string; id: string; name: string }[] | undefined) ?? []
        ).map((r) => ({ ...r, id: destination.get(`${r.type}:${r.id}`) ?? r.id }));
        const stored = { ...o, id, references, ...(id !== o.id ? { originId: o.id } : {}) };
        here.set(`${o.type}:${id}`, stored);
        return { type: o.type, id: o.id, ...(id !== o.id ? { destinationId: id } : {}) };
      });
      return send(200, { success: true, successCount: incoming.length, successResults: results });
    }

    // alerting rules: create with the rule type, update without it (the documented bodies)
    const rule = /^\/api\/alerting\/rule\/([^/]+)$/.exec(url.pathname);
    if (rule) {
      const id = decodeURIComponent(rule[1] as string);
      const stored = rules.get(id);
      // GET echoes each action with the `uuid` and `connector_type_id` Kibana adds
      // (x-pack/platform/plugins/shared/alerting/common/routes/rule/, inferred: kibana-es-source-facts.md)
      if (req.method === 'GET')
        return stored
          ? send(200, {
              id,
              ...stored,
              actions: ((stored.actions as Record<string, unknown>[] | undefined) ?? []).map((a, n) => ({
                ...a,
                uuid: `${id}-action-${n}`,
                connector_type_id: '.server-log',
              })),
              execution_status: stored.execution_status ?? { status: 'ok' },
            })
          : send(404, { statusCode: 404, message: `Saved object [alert/${id}] not found` });
      if (req.method === 'DELETE') {
        if (!rules.delete(id)) return send(404, { statusCode: 404 });
        res.writeHead(204);
        return res.end();
      }
      const sent = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      const required =
        req.method === 'POST'
          ? ['name', 'rule_type_id', 'consumer', 'schedule', 'params']
          : ['name', 'schedule', 'params'];
      const missing = required.filter((k) => sent[k] === undefined);
      if (missing.length)
        return send(400, { statusCode: 400, message: `[request body.${missing[0]}]: expected value` });
      if (req.method === 'PUT') {
        for (const k of ['rule_type_id', 'consumer', 'enabled'])
          if (k in sent)
            return send(400, {
              statusCode: 400,
              message: `[request body.${k}]: definition for this key is missing`,
            });
        if (!stored) return send(404, { statusCode: 404 });
        rules.set(id, { ...stored, ...sent });
        return send(200, { id, ...rules.get(id) });
      }
      if (req.method === 'POST') {
        if (stored) return send(409, { statusCode: 409, message: `Saved object [alert/${id}] conflict` });
        if (sent.rule_type_id !== '.es-query')
          return send(400, { statusCode: 400, message: 'unknown rule type' });
        rules.set(id, sent);
        return send(200, { id, ...sent });
      }
    }

    const del = /^\/api\/saved_objects\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && del) {
      const key = `${del[1]}:${decodeURIComponent(del[2] as string)}`;
      if (!here.delete(key)) return send(404, { statusCode: 404, message: 'Saved object not found' });
      return send(200, {});
    }
    return send(404, { statusCode: 404, message: `no route ${req.method} ${url.pathname}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    objects,
    spaces,
    imports,
    rules,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
