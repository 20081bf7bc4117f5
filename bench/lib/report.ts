/** BENCHMARKS.md: a header with the machine and versions, then one section per scenario. */
import type { Spread } from './stats.js';

export interface Table {
  /** the scenario key, for `--only` */
  key: string;
  title: string;
  /** what was measured, how many runs, the payloads */
  method: string;
  header: string[];
  rows: string[][];
  /** goal lines, each starting with MET / MISSED / REPORTED */
  verdicts: string[];
  notes: string[];
}

export interface ReportContext {
  date: string;
  command: string;
  smoke: boolean;
  machine: string;
  /** one line for each table: cores and memory */
  shortMachine: string;
  versions: Record<string, string>;
  /** one line for each table: the tools' versions */
  shortVersions: string;
  noise: string;
  durationS: number;
}

/** `12.3 (11.9–13.0)`: the median over runs and their range. */
export function fmtSpread(s: Spread, digits = 1): string {
  if (s.runs === 0) return 'n/a';
  const f = (x: number) => fmt(x, digits);
  return s.runs === 1 || s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

export function fmt(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `0.42×`: a ratio of two medians. */
export function fmtRatio(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a';
}

export function renderReport(ctx: ReportContext, tables: Table[]): string {
  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push(
    `Written by \`${ctx.command}\` on ${ctx.date} in ${Math.round(ctx.durationS)} s${ctx.smoke ? ' (**smoke mode: tiny sizes, the figures mean nothing**)' : ''}.`,
    '',
  );
  out.push(`**Machine:** ${ctx.machine}.`, '');
  out.push(`**Noise:** ${ctx.noise}`, '');
  out.push('| component | version |', '|---|---|');
  for (const [k, v] of Object.entries(ctx.versions)) out.push(`| ${k} | ${v} |`);
  out.push('');
  out.push(
    'Figures are medians over the runs, with the range of the runs in parentheses. Each tool runs in a',
    'worker process of its own (peak RSS and CPU time are that process alone), tools alternate within each',
    'repeat, and all of them log the same payloads (`bench/lib/payload.ts`) into the same node, which the',
    'bench starts for itself (`bench/lib/node.ts`) and stops at the end.',
    '',
  );
  for (const t of tables) {
    out.push(`## ${t.title}`, '');
    out.push(
      `Reproduce: \`npm run bench -- --only ${t.key}\` · ${ctx.shortMachine} · ${ctx.shortVersions}.`,
      '',
    );
    out.push(t.method, '');
    out.push(`| ${t.header.join(' | ')} |`, `|${t.header.map(() => '---').join('|')}|`);
    for (const r of t.rows) out.push(`| ${r.join(' | ')} |`);
    out.push('');
    for (const v of t.verdicts) out.push(`- ${v}`);
    if (t.verdicts.length) out.push('');
    for (const n of t.notes) out.push(n, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
