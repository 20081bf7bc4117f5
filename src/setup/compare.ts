/**
 * Does what the cluster holds match what this version installs? Elasticsearch returns assets
 * normalized (settings nested and stringified, defaults filled in, timestamps added), so a plain
 * deep-equal would report every asset as changed. This compares semantically: every value we send
 * must be there, and anything extra the cluster holds must be a default (false, empty) or a key the
 * cluster adds by itself; a field someone added by hand is a difference.
 */

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{index: {mapping: {total_fields: {limit: "10"}}}}` and `{"index.mapping.total_fields.limit": 10}` both become the second, stringified. */
export function flattenSettings(settings: Json): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (v: Json, prefix: string) => {
    if (isObject(v)) {
      for (const [k, child] of Object.entries(v)) walk(child, prefix ? `${prefix}.${k}` : k);
      return;
    }
    const key = prefix.startsWith('index.') ? prefix : `index.${prefix}`;
    out[key] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  };
  walk(settings ?? {}, '');
  return out;
}

/** Settings objects (at these paths) are compared flattened. */
const SETTINGS_PATHS = new Set(['template.settings', 'settings']);

function isDefaultLike(v: Json): boolean {
  return (
    v === false ||
    v === null ||
    v === undefined ||
    (Array.isArray(v) && v.length === 0) ||
    (isObject(v) && Object.values(v).every(isDefaultLike))
  );
}

export interface CompareOptions {
  /** dotted paths the cluster adds or that never count as a change (e.g. `created_date_millis`) */
  ignore?: string[];
}

/** The paths where `installed` differs from `desired`; empty when they match. */
export function differences(desired: Json, installed: Json, opts: CompareOptions = {}): string[] {
  const ignore = new Set(opts.ignore ?? []);
  const out: string[] = [];
  const walk = (d: Json, i: Json, path: string) => {
    if (ignore.has(path)) return;
    if (SETTINGS_PATHS.has(path)) {
      walk(flattenSettings(d), flattenSettings(i), `${path}.`);
      return;
    }
    if (isObject(d)) {
      if (!isObject(i)) {
        out.push(`${path || '(root)'}: ${i === undefined ? 'missing in the cluster' : 'differs'}`);
        return;
      }
      const at = (k: string) => (path.endsWith('.') ? `${path}${k}` : path ? `${path}.${k}` : k);
      for (const [k, v] of Object.entries(d)) walk(v, i[k], at(k));
      for (const [k, v] of Object.entries(i)) {
        if (k in d || ignore.has(at(k)) || isDefaultLike(v)) continue;
        out.push(`${at(k)}: only in the cluster`);
      }
      return;
    }
    if (Array.isArray(d)) {
      if (!Array.isArray(i) || i.length !== d.length) {
        out.push(`${path}: differs`);
        return;
      }
      for (const [n, v] of d.entries()) walk(v, i[n], `${path}[${n}]`);
      return;
    }
    if (i === undefined) {
      if (!isDefaultLike(d)) out.push(`${path}: missing in the cluster`);
      return;
    }
    // the cluster returns numbers and booleans of settings as strings
    if (String(d) !== String(i))
      out.push(`${path}: ${JSON.stringify(i)} in the cluster, ${JSON.stringify(d)} expected`);
  };
  walk(desired, installed, '');
  return out;
}
