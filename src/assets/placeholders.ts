/**
 * `${name}` placeholders in the JSON assets under kibana/ (watches, rules): the installer fills them
 * with a namespace's names and the job's thresholds. A string that is one placeholder takes the value's
 * own type, so numbers stay numbers; placeholders inside a longer string are replaced as text.
 * (Mustache's `{{...}}`, which Watcher and Kibana evaluate at run time, is left alone.)
 */
const PLACEHOLDER = /\$\{([a-z_]+)\}/g;
const WHOLE_PLACEHOLDER = /^\$\{([a-z_]+)\}$/;

function paramValue(name: string, params: Record<string, unknown>): unknown {
  if (!(name in params)) throw new Error(`asset placeholder \${${name}} has no value`);
  return params[name];
}

export function fillPlaceholders(node: unknown, params: Record<string, unknown>): unknown {
  if (typeof node === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(node);
    if (whole) return paramValue(whole[1] as string, params);
    return node.replace(PLACEHOLDER, (_, name: string) => String(paramValue(name, params)));
  }
  if (Array.isArray(node)) return node.map((n) => fillPlaceholders(n, params));
  if (node && typeof node === 'object')
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fillPlaceholders(v, params)]));
  return node;
}
