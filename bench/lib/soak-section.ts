/**
 * The soak's section of BENCHMARKS.md (bench/soak.ts writes it; `npm run bench` rewrites the rest of
 * the file and keeps it): between two markers, so either run replaces only its own part.
 */
const START = '<!-- soak:start (written by `npm run soak`, kept by `npm run bench`) -->';
const END = '<!-- soak:end -->';
export const SOAK_TITLE = '## Soak: crashes and node kills';

/** `existing` with the soak section replaced by `body` (appended at the end if it had none). */
export function replaceSoakSection(existing: string, body: string): string {
  const block = `${START}\n${SOAK_TITLE}\n\n${body.trim()}\n${END}\n`;
  const from = existing.indexOf(START);
  const to = existing.indexOf(END);
  if (from >= 0 && to > from) return existing.slice(0, from) + block + existing.slice(to + END.length + 1);
  const base = existing.trimEnd();
  return base ? `${base}\n\n${block}` : block;
}

/**
 * The sections of `existing` written by runs of their own (the soak's, and any other between
 * `<!-- <name>:start ... -->` and `<!-- <name>:end -->`, e.g. the label join's), in order, to carry into
 * a rewritten report; empty when there is none.
 */
export function keptSections(existing: string): string {
  const blocks: string[] = [];
  const re = /<!-- ([a-z-]+):start[^>]*-->[\s\S]*?<!-- \1:end -->/g;
  for (const m of existing.matchAll(re)) blocks.push(m[0]);
  return blocks.join('\n\n');
}
