/** What the job tests share: a loopback webhook receiver that records each notification, and the cleanup of a model's job state. */
import { createServer } from 'node:http';
import type { Client } from '@elastic/elasticsearch';
import { JOB_STATE_INDEX } from '../../src/contract/streams.js';

export interface WebhookReceiver<T> {
  /** the receiver's URL for a path, e.g. `/hook` */
  url(path: string): string;
  /** every request body in arrival order, with the path it was posted to */
  received: { path: string; body: T }[];
  close(): Promise<void>;
}

/** A webhook and Slack stand-in on 127.0.0.1 (a free port) answering 200 to every JSON POST. */
export async function startWebhookReceiver<T = Record<string, unknown>>(): Promise<WebhookReceiver<T>> {
  const received: { path: string; body: T }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(body) as T });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Deletes a model's checkpoints and alert states from the shared job-state index. */
export async function removeJobState(client: Client, model: string): Promise<void> {
  const states = await client.search(
    { index: JOB_STATE_INDEX, size: 1000, query: { term: { model } } },
    { ignore: [404] },
  );
  for (const h of states.hits?.hits ?? [])
    await client.delete({ index: JOB_STATE_INDEX, id: h._id as string }, { ignore: [404] });
}
