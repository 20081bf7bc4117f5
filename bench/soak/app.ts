/**
 * The soak's application (bench/soak.ts starts it, SIGKILLs it and starts it again on the same
 * disk buffer): logs predictions through `createMonitor().logPrediction` at RATE per second with
 * ids `g<GEN>-<n>`, and after every tick appends `<GEN> <n>` to ACK_FILE: the ids below n were
 * acknowledged as logged (logPrediction returned). On `stop` on stdin: stops logging, flushes
 * (at most FLUSH_MS), shuts down and prints `report <shutdown report>`. Stops by itself after
 * MAX_SECONDS, so a lost parent never leaves it running.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createMonitor } from '../../src/transport/create-monitor.js';

const env = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const gen = Number(env('GEN'));
const rate = Number(env('RATE'));
const maxSeconds = Number(env('MAX_SECONDS'));
const flushMs = Number(process.env.FLUSH_MS ?? 300_000);

const monitor = createMonitor({
  node: env('TARGET_URL'),
  namespace: env('NAMESPACE'),
  model: 'soak',
  version: '1',
  spillDir: env('SPILL_DIR'),
});
const warnings = new Map<string, number>();
monitor.transport.on('warn', (p: { code: string }) => warnings.set(p.code, (warnings.get(p.code) ?? 0) + 1));

// synchronous appends: what the kernel has when the process is killed is what was acknowledged
const ack = openSync(env('ACK_FILE'), 'a');
const features = (n: number) => ({
  amount: (n * 37) % 1000,
  score: ((n * 7919) % 10_000) / 10_000,
  country: `c${n % 17}`,
  channel: n % 3 === 0 ? 'web' : 'app',
  returning: n % 2 === 0,
  note: n % 11 === 0 ? 'asked for a refund twice' : 'regular order',
});

const start = Date.now();
let n = 0;
let stopping = false;
const tick = setInterval(() => {
  if (stopping) return;
  const due = Math.floor(((Date.now() - start) * rate) / 1000);
  for (; n < due; n++)
    monitor.logPrediction({ id: `g${gen}-${String(n).padStart(7, '0')}`, features: features(n) });
  writeSync(ack, `${gen} ${n}\n`);
  if (Date.now() - start > maxSeconds * 1000) void stop();
}, 20);

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(tick);
  writeSync(ack, `${gen} ${n}\n`);
  closeSync(ack);
  const flushed = await monitor.flush(flushMs);
  const report = await monitor.shutdown({ timeoutMs: 10_000 });
  console.log(`report ${JSON.stringify({ flushed, ...report, warnings: Object.fromEntries(warnings) })}`);
  process.exit(0);
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  if (chunk.includes('stop')) void stop();
});
console.log(`ready ${process.pid}`);
