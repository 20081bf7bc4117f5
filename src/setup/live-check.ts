/**
 * What is live on the cluster, beyond the templates: for each mlmon stream that exists, is it a
 * data stream, did our template create its write index, do the fields the job reads have the types
 * it needs (`_field_caps`), and is `index.mode` the one we decided (README, "LogsDB"). Each problem
 * names the stream, the field, the cause and the fix. Read-only: the repairs are in repair.ts.
 */
import { elasticsearchAssets } from '../assets/catalog.js';
import type { Baseline } from '../contract/baseline-document.js';
import {
  expectedFieldTypes,
  type FieldCapsBody,
  fieldTypeMismatches,
  mismatchText,
} from '../contract/field-types.js';
import {
  isValidNamespace,
  PRODUCT,
  STREAM_FAMILIES,
  type StreamFamily,
  streamName,
  streamPattern,
  streamPrefix,
} from '../contract/streams.js';
import type { RawRequest } from '../es/raw-request.js';

export type Repair = 'rollover' | 'replace-index';

export interface LiveProblem {
  /** the stream (or the plain index holding its name) */
  stream: string;
  field?: string;
  problem: string;
  cause: string;
  fix: string;
  /** what `mlmon setup` does about it: roll over at once, or replace the index with `--repair` */
  repair?: Repair;
}

export interface LiveStream {
  name: string;
  family: StreamFamily;
  kind: 'data_stream' | 'index';
  /** the data stream's write index (the index itself for a plain index) */
  writeIndex: string;
  /** the template that applies to the name now */
  template?: { name: string; priority: number; ours: boolean };
  /** whether our template created the write index (its mappings carry our `_meta`) */
  createdByUs: boolean;
  indexMode: string;
}

export interface LiveReport {
  streams: LiveStream[];
  problems: LiveProblem[];
}

interface Resolved {
  indices?: { name: string; data_stream?: string }[];
  data_streams?: { name: string; backing_indices: string[] }[];
}

interface IndexTemplateEntry {
  name: string;
  index_template: { index_patterns: string[] | string; priority?: number; _meta?: { managed_by?: string } };
}

const globToRegExp = (glob: string) =>
  new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);

/** The index template that wins for `name`: the highest priority among those whose patterns match. */
export function winningTemplate(
  templates: IndexTemplateEntry[],
  name: string,
): LiveStream['template'] | undefined {
  const matching = templates
    .filter((t) => [t.index_template.index_patterns].flat().some((p) => globToRegExp(p).test(name)))
    .sort((a, b) => (b.index_template.priority ?? 0) - (a.index_template.priority ?? 0));
  const t = matching[0];
  if (!t) return undefined;
  return {
    name: t.name,
    priority: t.index_template.priority ?? 0,
    ours: t.index_template._meta?.managed_by === PRODUCT,
  };
}

/** `.ds-<stream>-<date>-000012`: the generation orders the backing indices. */
function generation(index: string): number {
  const m = /-(\d+)$/.exec(index);
  return m ? Number(m[1]) : 0;
}

async function writeIndexOf(request: RawRequest, stream: string, backing: string[]): Promise<string> {
  // the data stream API names it; the test node has none (README, "What the test node can do")
  const res = await request('GET', `/_data_stream/${encodeURIComponent(stream)}`);
  if (res.status === 200) {
    const ds = (res.body as { data_streams?: { indices?: { index_name: string }[] }[] }).data_streams?.[0];
    const last = ds?.indices?.at(-1)?.index_name;
    if (last) return last;
  }
  return [...backing].sort((a, b) => generation(a) - generation(b)).at(-1) as string;
}

/** The `index.mode` the component templates set (README, "LogsDB": standard). */
export function decidedIndexMode(family: StreamFamily): string {
  const component = elasticsearchAssets().find(
    (a) => a.kind === 'component_template' && a.name === `mlmon-${family}@package`,
  );
  const settings = (component?.body.template as { settings?: Record<string, unknown> } | undefined)?.settings;
  return String(settings?.['index.mode'] ?? 'standard');
}

async function indexFacts(request: RawRequest, index: string): Promise<{ ours: boolean; mode: string }> {
  const mapping = await request('GET', `/${encodeURIComponent(index)}/_mapping`);
  const meta = Object.values(
    (mapping.body as Record<string, { mappings?: { _meta?: { managed_by?: string } } }>) ?? {},
  )[0]?.mappings?._meta?.managed_by;
  const settings = await request(
    'GET',
    `/${encodeURIComponent(index)}/_settings/index.mode?include_defaults=true&flat_settings=true`,
  );
  const s = Object.values(
    (settings.body as Record<
      string,
      { settings?: Record<string, string>; defaults?: Record<string, string> }
    >) ?? {},
  )[0];
  return {
    ours: meta === PRODUCT,
    mode: s?.settings?.['index.mode'] ?? s?.defaults?.['index.mode'] ?? 'standard',
  };
}

/** Why a stream's write index is not ours, and what to do. */
function foreignCause(s: LiveStream, ourTemplate: string): { cause: string; fix: string; repair?: Repair } {
  if (s.template && !s.template.ours)
    return {
      cause: `template ${s.template.name} (priority ${s.template.priority}) has higher priority than ${ourTemplate}`,
      fix: `lower the priority of ${s.template.name} below ours or narrow its index_patterns, then run \`mlmon setup\` (it rolls the stream over)`,
    };
  if (!s.template)
    return {
      cause: 'created before mlmon setup (no mlmon template was installed)',
      fix:
        s.kind === 'index'
          ? 'run `mlmon setup`, then `mlmon setup --repair` (README, "Repair")'
          : 'run `mlmon setup` (it rolls the stream over)',
    };
  return s.kind === 'index'
    ? {
        cause: 'created before mlmon setup: the first write found no data-stream template',
        fix: `run \`mlmon setup --repair\`: it moves the documents into the data stream ${s.name} (README, "Repair")`,
        repair: 'replace-index',
      }
    : {
        cause: `created before mlmon setup (its write index ${s.writeIndex} predates the template)`,
        fix: 'run `mlmon setup`: it rolls the stream over so the next backing index has our mappings',
        repair: 'rollover',
      };
}

export interface LiveCheckOptions {
  namespace?: string;
  /** each baseline's feature fields are checked too */
  baselines?: readonly Baseline[];
}

export async function checkLive(request: RawRequest, o: LiveCheckOptions = {}): Promise<LiveReport> {
  const templatesRes = await request('GET', '/_index_template');
  const templates =
    templatesRes.status === 200
      ? ((templatesRes.body as { index_templates?: IndexTemplateEntry[] }).index_templates ?? [])
      : [];
  const expected = expectedFieldTypes(o.baselines ?? []);
  const streams: LiveStream[] = [];
  const problems: LiveProblem[] = [];
  for (const family of STREAM_FAMILIES) {
    const pattern = o.namespace ? streamName(family, o.namespace) : streamPattern(family);
    const res = await request('GET', `/_resolve/index/${encodeURIComponent(pattern)}?expand_wildcards=all`);
    if (res.status !== 200) continue;
    const resolved = res.body as Resolved;
    const found: { name: string; kind: LiveStream['kind']; backing: string[] }[] = [
      ...(resolved.data_streams ?? []).map((d) => ({
        name: d.name,
        kind: 'data_stream' as const,
        backing: d.backing_indices,
      })),
      // a plain index that took a stream's name (not a data stream's backing index)
      ...(resolved.indices ?? [])
        .filter(
          (i) =>
            !i.data_stream &&
            i.name.startsWith(streamPrefix(family)) &&
            isValidNamespace(i.name.slice(streamPrefix(family).length)),
        )
        .map((i) => ({ name: i.name, kind: 'index' as const, backing: [i.name] })),
    ];
    for (const f of found) {
      const writeIndex = f.kind === 'index' ? f.name : await writeIndexOf(request, f.name, f.backing);
      const facts = await indexFacts(request, writeIndex);
      const template = winningTemplate(templates, f.name);
      const s: LiveStream = {
        name: f.name,
        family,
        kind: f.kind,
        writeIndex,
        ...(template ? { template } : {}),
        createdByUs: facts.ours,
        indexMode: facts.mode,
      };
      streams.push(s);
      const ourTemplate = `mlmon-${family}${o.namespace ? `-${o.namespace}` : ''}`;
      const why = foreignCause(s, ourTemplate);
      if (f.kind === 'index')
        problems.push({
          stream: f.name,
          problem: `${f.name} is a plain index, not a data stream`,
          ...why,
          ...(template?.ours ? { repair: 'replace-index' as const } : {}),
        });
      else if (!facts.ours)
        problems.push({
          stream: f.name,
          problem: `the write index ${writeIndex} was not created by an mlmon template`,
          ...why,
        });
      const mode = decidedIndexMode(family);
      if (facts.mode !== mode)
        problems.push({
          stream: f.name,
          problem: `the write index ${writeIndex} runs in index.mode ${facts.mode}, not ${mode} (README, "LogsDB")`,
          ...why,
        });
      if (family === 'predictions') {
        const caps = await request(
          'GET',
          `/${encodeURIComponent(f.name)}/_field_caps?include_unmapped=true&fields=${encodeURIComponent('@timestamp,mlmon.*')}`,
        );
        // (include_unmapped: each type then names its indices, so an old backing index is told apart)
        if (caps.status !== 200) continue;
        for (const m of fieldTypeMismatches(caps.body as FieldCapsBody, expected))
          problems.push({
            stream: f.name,
            field: m.field,
            problem: mismatchText(m),
            // the write index is right: only older backing indices carry the wrong type
            ...(facts.ours && !m.indices.includes(writeIndex)
              ? {
                  cause: `backing index(es) ${m.indices.join(', ')} were created before the current template`,
                  fix: 'windows that cover them fail until they leave with retention; delete those backing indices to lose them now',
                }
              : why),
          });
      }
    }
  }
  return { streams, problems };
}

/** One line per problem: what, why, and the fix. */
export function problemLines(problems: LiveProblem[]): string[] {
  return problems.map(
    (p) =>
      `${p.stream}${p.field ? ` field ${p.field}` : ''}: ${p.problem}\n    cause: ${p.cause}\n    fix: ${p.fix}`,
  );
}
