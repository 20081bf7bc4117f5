import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { MlInputTransport, type MlInputTransportOptions } from '../../src/transport/ml-input-transport.js';

/**
 * winston's own conformance suite for transports (`abstract-winston-transport`), run by node:test.
 * The suite is written for mocha: its hooks and tests take `done` as their first argument, while
 * node:test passes the test context first, so each function is wrapped to mocha's convention.
 */
type MochaFn = ((done: (err?: unknown) => void) => void) | (() => unknown);
const mochaStyle = (fn: MochaFn) => async (): Promise<void> => {
  if (fn.length === 0) {
    await (fn as () => unknown)();
    return;
  }
  await new Promise<void>((resolve, reject) =>
    (fn as (done: (err?: unknown) => void) => void)((err) => (err ? reject(err) : resolve())),
  );
};
const globals = globalThis as Record<string, unknown>;
globals.describe = (name: string, body: () => void) => describe(name, () => body());
globals.it = (name: string, fn: MochaFn) => it(name, mochaStyle(fn));
globals.beforeEach = (fn: MochaFn) => beforeEach(mochaStyle(fn));
globals.afterEach = (fn: MochaFn) => afterEach(mochaStyle(fn));
globals.after = (fn: MochaFn) => after(mochaStyle(fn));

// nothing listens on port 1: the entries of the suite are not predictions and never leave memory
const made: MlInputTransport[] = [];
const construct = (): MlInputTransportOptions => ({
  node: 'http://127.0.0.1:1',
  checkTemplate: false,
  baseline: false,
  spillDir: false,
});
class Counted extends MlInputTransport {
  constructor(opts: MlInputTransportOptions) {
    super(opts);
    made.push(this);
  }
}

const require = createRequire(import.meta.url);
const abstractSuite = require('abstract-winston-transport') as (o: object) => void;
abstractSuite({ name: 'MlInputTransport', Transport: Counted, construct });

describe('MlInputTransport beyond the suite', () => {
  it('log() without a callback takes a prediction, emits logged and counts what is not one', async () => {
    const t = new MlInputTransport(construct());
    made.push(t);
    const info = { level: 'info', message: 'prediction', features: { age: 3 } };
    const logged = new Promise((resolve) => t.once('logged', resolve));
    assert.equal(t.log(info), true);
    assert.equal(await logged, info);
    t.log({ level: 'info', message: 'not a prediction' });
    const s = t.stats();
    assert.equal(s.queued, 1);
    assert.equal(s.ignored, 1);
  });
});

after(async () => {
  // nothing can be sent to port 1: shut down at once, without waiting for the cluster
  await Promise.all(made.map((t) => t.shutdown({ timeoutMs: 1 })));
  assert.ok(made.length >= 5, `the suite made ${made.length} transports`);
});
