/**
 * A loopback HTTP proxy in front of the real test node, for failures a healthy node will not
 * produce on demand: 429 and 503 answers, connection resets, refused connections (the proxy stops
 * listening) and bulk items rejected with 429 (those items are really withheld from the node, so a
 * retry is the only way they get stored). `hang()`: every request is taken and never answered (a
 * cluster that accepts connections and does not respond) until `unhang()` cuts them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type Fault =
  | { kind: 'status'; status: 429 | 502 | 503 | 504 | 401 | 413 }
  | { kind: 'reset' }
  /** withhold every `every`-th item of the next bulk request and answer 429 for it */
  | { kind: 'itemRejections'; every: number };

const ELASTIC_HEADERS = { 'x-elastic-product': 'Elasticsearch', 'content-type': 'application/json' };

export class FaultProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly faults: Fault[] = [];
  port = 0;
  bulkRequests = 0;
  faultsInjected = 0;
  itemsWithheld = 0;
  /** requests taken and left unanswered while hanging */
  private hanging: Socket[] | undefined;

  constructor(private readonly target: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next bulk requests meet these faults, one each, in order. */
  inject(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  async start(port = this.port): Promise<string> {
    const server = createServer((req, res) => {
      void this.handle(req, res);
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
    this.server = server;
    return this.url;
  }

  /** From now on requests get no answer. */
  hang(): void {
    this.hanging ??= [];
  }

  /** Answers again; the requests left hanging are cut (the client sees a reset and retries). */
  unhang(): void {
    const hung = this.hanging ?? [];
    this.hanging = undefined;
    for (const s of hung) s.destroy();
  }

  /** Stops listening and cuts open connections: clients now meet ECONNREFUSED. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.unhang();
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.hanging) {
      this.hanging.push(req.socket);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks).toString('utf8');
    const isBulk = (req.url ?? '').startsWith('/_bulk');
    const withheld: number[] = [];
    if (isBulk) {
      this.bulkRequests++;
      const fault = this.faults.shift();
      if (fault) this.faultsInjected++;
      if (fault?.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'status') {
        res.writeHead(fault.status, ELASTIC_HEADERS);
        res.end(
          JSON.stringify({
            error: { type: 'injected', reason: `injected ${fault.status}` },
            status: fault.status,
          }),
        );
        return;
      }
      if (fault?.kind === 'itemRejections') {
        const lines = body.split('\n').filter((l) => l.length > 0);
        const kept: string[] = [];
        for (let i = 0; i * 2 < lines.length; i++) {
          if ((i + 1) % fault.every === 0) withheld.push(i);
          else kept.push(lines[i * 2] as string, lines[i * 2 + 1] as string);
        }
        this.itemsWithheld += withheld.length;
        body = kept.length ? `${kept.join('\n')}\n` : '';
      }
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    let upstream: Response;
    if (isBulk && withheld.length && !body) {
      // every item withheld: answer as the node would for an all-rejected bulk
      upstream = new Response(JSON.stringify({ errors: true, items: [] }), {
        status: 200,
        headers: ELASTIC_HEADERS,
      });
    } else {
      try {
        upstream = await fetch(`${this.target}${req.url}`, {
          method: req.method ?? 'GET',
          headers,
          ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
        });
      } catch {
        req.socket.destroy();
        return;
      }
    }
    let text = await upstream.text();
    if (withheld.length) {
      const parsed = JSON.parse(text) as { errors?: boolean; items?: unknown[] };
      const items = parsed.items ?? [];
      for (const pos of withheld) {
        items.splice(pos, 0, {
          create: {
            status: 429,
            error: { type: 'es_rejected_execution_exception', reason: 'injected item rejection' },
          },
        });
      }
      parsed.items = items;
      parsed.errors = true;
      text = JSON.stringify(parsed);
    }
    const outHeaders: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'content-encoding' && k !== 'transfer-encoding') outHeaders[k] = v;
    });
    res.writeHead(upstream.status, outHeaders);
    res.end(text);
  }
}
