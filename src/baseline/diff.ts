import type { Baseline, FeatureProfile, ProfileType } from '../contract/baseline-document.js';

export interface FeatureDiff {
  type: ProfileType;
  na_rate?: [number, number];
  range?: { min: [number, number]; max: [number, number] };
  mean?: [number, number];
  categories?: { added: string[]; removed: string[] };
  vocabulary?: { added: number; removed: number; added_examples: string[]; removed_examples: string[] };
}

export interface BaselineDiff {
  model: string;
  from: string;
  to: string;
  added: string[];
  removed: string[];
  retyped: { feature: string; from: ProfileType; to: ProfileType }[];
  changed: Record<string, FeatureDiff>;
}

const EXAMPLES = 10;

function setDiff(a: Record<string, number>, b: Record<string, number>) {
  const added = Object.keys(b).filter((k) => !(k in a));
  const removed = Object.keys(a).filter((k) => !(k in b));
  // most frequent first: the changes that matter most
  added.sort((x, y) => (b[y] ?? 0) - (b[x] ?? 0));
  removed.sort((x, y) => (a[y] ?? 0) - (a[x] ?? 0));
  return { added, removed };
}

function featureDiff(a: FeatureProfile, b: FeatureProfile): FeatureDiff | undefined {
  const d: FeatureDiff = { type: b.type };
  let changed = false;
  if (a.na_rate !== b.na_rate) {
    d.na_rate = [a.na_rate, b.na_rate];
    changed = true;
  }
  if (a.numeric && b.numeric) {
    if (a.numeric.min !== b.numeric.min || a.numeric.max !== b.numeric.max) {
      d.range = { min: [a.numeric.min, b.numeric.min], max: [a.numeric.max, b.numeric.max] };
      changed = true;
    }
    if (a.numeric.mean !== b.numeric.mean) {
      d.mean = [a.numeric.mean, b.numeric.mean];
      changed = true;
    }
  }
  if (a.categorical && b.categorical) {
    const { added, removed } = setDiff(a.categorical.values, b.categorical.values);
    if (added.length || removed.length) {
      d.categories = { added, removed };
      changed = true;
    }
  }
  if (a.text && b.text) {
    const { added, removed } = setDiff(a.text.vocabulary, b.text.vocabulary);
    if (added.length || removed.length) {
      d.vocabulary = {
        added: added.length,
        removed: removed.length,
        added_examples: added.slice(0, EXAMPLES),
        removed_examples: removed.slice(0, EXAMPLES),
      };
      changed = true;
    }
  }
  return changed ? d : undefined;
}

/** What changed from baseline `a` to `b`: features, types, category sets, vocabulary, ranges. */
export function diffBaselines(a: Baseline, b: Baseline): BaselineDiff {
  const out: BaselineDiff = {
    model: b.model,
    from: a.version,
    to: b.version,
    added: [],
    removed: [],
    retyped: [],
    changed: {},
  };
  const withOutputs = (x: Baseline) => ({
    ...x.features,
    ...(x.prediction ? { '(prediction)': x.prediction } : {}),
  });
  const fa: Record<string, FeatureProfile> = withOutputs(a);
  const fb: Record<string, FeatureProfile> = withOutputs(b);
  for (const name of Object.keys(fb).sort()) if (!(name in fa)) out.added.push(name);
  for (const name of Object.keys(fa).sort()) {
    const pa = fa[name] as FeatureProfile;
    const pb = fb[name];
    if (!pb) {
      out.removed.push(name);
      continue;
    }
    if (pa.type !== pb.type) {
      out.retyped.push({ feature: name, from: pa.type, to: pb.type });
      continue;
    }
    const d = featureDiff(pa, pb);
    if (d) out.changed[name] = d;
  }
  return out;
}
