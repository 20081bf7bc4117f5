import type { Client } from '@elastic/elasticsearch';
import type { Command } from 'commander';
import type { MalformedBaseline } from '../baseline/baseline-reader.js';
import { createClient } from '../es/connection.js';
import { explainEsError } from '../es/explain.js';
import { readLocalNodeState } from '../es/local-node.js';

export interface GlobalOptions {
  node?: string;
}

/** The command line's client: `--node`, else the environment, else the node `npm run es:start` started here. */
export function cliClient(cmd: Command): Client {
  const globals = cmd.optsWithGlobals<GlobalOptions>();
  return createClient(
    globals.node ? { node: globals.node } : {},
    {},
    readLocalNodeState()?.elasticsearch?.url,
  );
}

/** Runs `fn` with a client for the command's cluster, closing it after and explaining its errors. */
export async function withClient<T>(
  cmd: Command,
  fn: (client: Client, where: string) => Promise<T>,
): Promise<T> {
  const client = cliClient(cmd);
  const where = client.connectionPool.connections.map((c) => c.url.origin).join(', ') || 'the cluster';
  try {
    return await fn(client, where);
  } catch (err) {
    throw explainEsError(err, where);
  } finally {
    await client.close();
  }
}

/** A plain text table: columns padded to their widest cell. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (c ?? '').padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function fmt(n: number | undefined, digits = 4): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  if (Number.isInteger(n)) return String(n);
  return Number(n.toPrecision(digits)).toString();
}

const reportedMalformed = new Set<string>();

/** Prints, once per document, a stored baseline of another shape that a command skipped. */
export function reportMalformed(m: MalformedBaseline): void {
  const key = `${m.index}/${m.id}`;
  if (reportedMalformed.has(key)) return;
  reportedMalformed.add(key);
  process.stderr.write(`mlmon: skipped the stored baseline document ${m.id} in ${m.index}: ${m.problem}\n`);
}
