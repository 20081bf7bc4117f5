/**
 * One line of a disk-buffer segment, and reading it back: pure, so every malformed shape is tested
 * without a disk (test/unit/spill-line.test.ts).
 *
 * A line is `<kind>\t<id>\t<document JSON>`, `kind` being `p` (a prediction), `l` (a label) or `d`
 * (a dead letter). It names no index: the transport that replays it decides where it goes (its own
 * predictions stream or dead-letter stream), so a line planted in the folder cannot make the
 * application write into another index with its credentials.
 */

export type SpillKind = 'p' | 'd' | 'l';

/** Elasticsearch refuses `_id`s over 512 bytes with a 400 for the whole bulk request; ours are UUIDv7 (+ "-dl"). */
const ID_PATTERN = /^[0-9A-Za-z_-]{1,128}$/;

export function encodeSpillLine(kind: SpillKind, id: string, json: string): string {
  return `${kind}\t${id}\t${json}\n`;
}

export type DecodedLine =
  | { ok: true; kind: SpillKind; id: string; json: string }
  | { ok: false; reason: string };

/**
 * A line as read back (without its newline). Anything but the shape above is refused with a
 * reason, never thrown: the caller dead-letters it alone and delivers its neighbours.
 */
export function decodeSpillLine(line: string): DecodedLine {
  const tab1 = line.indexOf('\t');
  const tab2 = tab1 < 0 ? -1 : line.indexOf('\t', tab1 + 1);
  if (tab1 < 0 || tab2 < 0)
    return { ok: false, reason: 'not a segment line (expected kind, id and document)' };
  const kind = line.slice(0, tab1);
  if (kind !== 'p' && kind !== 'd' && kind !== 'l') return { ok: false, reason: 'unknown record kind' };
  const id = line.slice(tab1 + 1, tab2);
  if (!ID_PATTERN.test(id)) return { ok: false, reason: 'invalid document id' };
  const json = line.slice(tab2 + 1);
  // Not parsed: replay must stay cheap. A torn line lacks its closing brace; damage inside the
  // braces is refused by the cluster for that item alone (and dead-lettered), never for the whole
  // request, because the action line is built here from a checked id.
  if (json.length < 2 || json.charCodeAt(0) !== 0x7b || json.charCodeAt(json.length - 1) !== 0x7d)
    return { ok: false, reason: 'document is not a JSON object (a torn or corrupted line)' };
  return { ok: true, kind, id, json };
}
