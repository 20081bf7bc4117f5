import { LABEL_LIMITS } from '../contract/limits.js';

/**
 * Realized performance of one window from its labelled predictions (pure). The definitions are
 * scikit-learn's (README, "Labels and realized performance"); test/fixtures/performance-golden.json
 * holds its values (scripts/golden/performance_golden.py) and the tests compare to 1e-9.
 */

export type Task = 'classification' | 'regression';

/** One labelled prediction: the truth, what the model said, and when each was known. */
export interface LabeledPrediction {
  truth: { num?: number; cat?: string };
  predicted: { num?: number; cat?: string; bool?: boolean };
  /** label time minus prediction time, milliseconds */
  delayMs: number;
}

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** labelled predictions of this true class */
  support: number;
}

export interface Performance {
  task: Task;
  /** labelled predictions of the window (the latest label per prediction id) */
  labeled: number;
  /** predictions in the window */
  predictions: number;
  /** labeled / predictions; absent without predictions */
  coverage?: number;
  /** labels of the window's time whose id matches no prediction of the model (yet) */
  unknown_labels: number;
  /** label delay percentiles (milliseconds), linear interpolation as numpy's default */
  label_delay_ms?: { p50: number; p90: number; p99: number };
  accuracy?: number;
  /** macro averages over the classes of truth and prediction (zero where a class has no prediction) */
  precision?: number;
  recall?: number;
  f1?: number;
  per_class?: Record<string, ClassMetrics>;
  /** rows: true class, columns: predicted class, both in `labels` order */
  confusion_matrix?: { labels: string[]; matrix: number[][] };
  /** binary, with a score on every labelled prediction: the score is the positive class's probability */
  positive_class?: string;
  roc_auc?: number;
  log_loss?: number;
  mae?: number;
  rmse?: number;
  /** mean of |y - ŷ| / |y| over labels with |y| >= LABEL_LIMITS.mapeMinAbsTruth */
  mape?: number;
  /** labels left out of MAPE for a truth too near zero */
  mape_excluded?: number;
  /** mean of ŷ - y: positive when the model predicts too high */
  mean_error?: number;
  r2?: number;
}

/** The class a prediction names: its label, else its boolean, else its number. */
export function predictedClass(p: LabeledPrediction['predicted']): string | undefined {
  if (p.cat !== undefined) return p.cat;
  if (p.bool !== undefined) return String(p.bool);
  if (p.num !== undefined) return String(p.num);
  return undefined;
}

/** A score beside a class (`{ label, score }` fills both): what ROC AUC and log loss need. */
function scoreOf(p: LabeledPrediction['predicted']): number | undefined {
  return (p.cat !== undefined || p.bool !== undefined) && p.num !== undefined ? p.num : undefined;
}

/** numpy's default percentile (linear between closest ranks) of sorted values. */
export function percentileSorted(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/**
 * Binary ROC AUC as the Mann-Whitney statistic with tied scores at their mean rank: equal to the
 * area under the ROC curve scikit-learn integrates with the trapezoidal rule.
 */
export function rocAuc(scores: readonly number[], positive: readonly boolean[]): number | undefined {
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let rankSumPos = 0;
  let nPos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
    const meanRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (positive[order[k] as number]) {
        rankSumPos += meanRank;
        nPos++;
      }
    i = j + 1;
  }
  const nNeg = order.length - nPos;
  if (nPos === 0 || nNeg === 0) return undefined;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

function classification(rows: readonly LabeledPrediction[], out: Performance): void {
  const truths: string[] = [];
  const preds: string[] = [];
  for (const r of rows) {
    const t = r.truth.cat ?? (r.truth.num !== undefined ? String(r.truth.num) : undefined);
    const p = predictedClass(r.predicted);
    if (t === undefined || p === undefined) continue;
    truths.push(t);
    preds.push(p);
  }
  const n = truths.length;
  if (n === 0) return;
  // code-point order, as numpy sorts strings
  const labels = [...new Set([...truths, ...preds])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const t = index.get(truths[i] as string) as number;
    const p = index.get(preds[i] as string) as number;
    (matrix[t] as number[])[p] = ((matrix[t] as number[])[p] as number) + 1;
    if (t === p) correct++;
  }
  out.accuracy = correct / n;
  out.confusion_matrix = { labels, matrix };
  const perClass: Record<string, ClassMetrics> = {};
  let sp = 0;
  let sr = 0;
  let sf = 0;
  labels.forEach((label, k) => {
    const tp = (matrix[k] as number[])[k] as number;
    const trueSum = (matrix[k] as number[]).reduce((a, b) => a + b, 0);
    const predSum = matrix.reduce((a, row) => a + (row[k] as number), 0);
    // scikit-learn's zero_division=0: an undefined ratio counts as 0
    const precision = predSum ? tp / predSum : 0;
    const recall = trueSum ? tp / trueSum : 0;
    const f1 = trueSum + predSum ? (2 * tp) / (trueSum + predSum) : 0;
    perClass[label] = { precision, recall, f1, support: trueSum };
    sp += precision;
    sr += recall;
    sf += f1;
  });
  out.precision = sp / labels.length;
  out.recall = sr / labels.length;
  out.f1 = sf / labels.length;
  out.per_class = perClass;
  scored(rows, out);
}

/** ROC AUC and log loss: two true classes, every labelled prediction scored in [0, 1]. */
function scored(rows: readonly LabeledPrediction[], out: Performance): void {
  const trueClasses = [...new Set(rows.map((r) => r.truth.cat ?? String(r.truth.num)))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  if (trueClasses.length !== 2) return;
  const positiveClass = trueClasses[1] as string;
  const scores: number[] = [];
  const positive: boolean[] = [];
  for (const r of rows) {
    const s = scoreOf(r.predicted);
    if (s === undefined || !(s >= 0 && s <= 1)) return;
    scores.push(s);
    positive.push((r.truth.cat ?? String(r.truth.num)) === positiveClass);
  }
  out.positive_class = positiveClass;
  const auc = rocAuc(scores, positive);
  if (auc !== undefined) out.roc_auc = auc;
  // scikit-learn clips probabilities to [eps, 1 - eps] (eps of float64)
  const eps = Number.EPSILON;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, scores[i] as number));
    sum -= positive[i] ? Math.log(p) : Math.log(1 - p);
  }
  out.log_loss = sum / scores.length;
}

function regression(rows: readonly LabeledPrediction[], out: Performance): void {
  const ys: number[] = [];
  const ps: number[] = [];
  for (const r of rows)
    if (r.truth.num !== undefined && r.predicted.num !== undefined) {
      ys.push(r.truth.num);
      ps.push(r.predicted.num);
    }
  const n = ys.length;
  if (n === 0) return;
  let abs = 0;
  let sq = 0;
  let err = 0;
  let ySum = 0;
  let ape = 0;
  let apeN = 0;
  for (let i = 0; i < n; i++) {
    const y = ys[i] as number;
    const d = (ps[i] as number) - y;
    abs += Math.abs(d);
    sq += d * d;
    err += d;
    ySum += y;
    if (Math.abs(y) >= LABEL_LIMITS.mapeMinAbsTruth) {
      ape += Math.abs(d) / Math.abs(y);
      apeN++;
    }
  }
  const yMean = ySum / n;
  let ssTot = 0;
  for (const y of ys) ssTot += (y - yMean) ** 2;
  out.mae = abs / n;
  out.rmse = Math.sqrt(sq / n);
  if (apeN) out.mape = ape / apeN;
  out.mape_excluded = n - apeN;
  out.mean_error = err / n;
  // R² is undefined for a constant truth (scikit-learn forces 0 or 1 there): not reported
  if (ssTot > 0) out.r2 = 1 - sq / ssTot;
}

/** The task a window's labels call for, when the baseline does not say: numbers alone are a regression. */
export function inferTask(rows: readonly LabeledPrediction[]): Task {
  const numeric = rows.every(
    (r) =>
      r.truth.num !== undefined &&
      r.predicted.num !== undefined &&
      r.predicted.cat === undefined &&
      r.predicted.bool === undefined,
  );
  return numeric && rows.length > 0 ? 'regression' : 'classification';
}

export function performanceOf(
  rows: readonly LabeledPrediction[],
  opts: { predictions: number; unknownLabels: number; task?: Task },
): Performance {
  const task = opts.task ?? inferTask(rows);
  const out: Performance = {
    task,
    labeled: rows.length,
    predictions: opts.predictions,
    unknown_labels: opts.unknownLabels,
  };
  if (opts.predictions > 0) out.coverage = rows.length / opts.predictions;
  if (rows.length) {
    const delays = rows.map((r) => r.delayMs).sort((a, b) => a - b);
    out.label_delay_ms = {
      p50: percentileSorted(delays, 0.5),
      p90: percentileSorted(delays, 0.9),
      p99: percentileSorted(delays, 0.99),
    };
  }
  if (task === 'classification') classification(rows, out);
  else regression(rows, out);
  return out;
}
