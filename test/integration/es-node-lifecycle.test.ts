import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { esNode } from '../helpers/own-node.js';

/** Pids whose command line mentions `marker`: the java processes of one node's run directory. */
function processesMentioning(marker: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('es:start twice leaves one node, es:stop leaves none, and both are safe to repeat', async (t) => {
  // an independent node beside the one the suite uses: its own state file, run directory and ports
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-lifecycle-'));
  const stateFile = join(dir, 'node.json');
  t.after(() => {
    esNode(stateFile, undefined, 'stop');
    rmSync(dir, { recursive: true, force: true });
  });

  esNode(stateFile, undefined, 'start', '--only', 'elasticsearch');
  const first = JSON.parse(readFileSync(stateFile, 'utf8')).elasticsearch;
  const health = (await (await fetch(`${first.url}/_cluster/health`)).json()) as { status: string };
  assert.ok(['green', 'yellow'].includes(health.status));
  assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(processesMentioning(first.runDir), [first.pid]);

  const again = esNode(stateFile, undefined, 'start', '--only', 'elasticsearch');
  assert.match(again, /already running/);
  const second = JSON.parse(readFileSync(stateFile, 'utf8')).elasticsearch;
  assert.equal(second.pid, first.pid);
  assert.deepEqual(processesMentioning(first.runDir), [first.pid]);

  esNode(stateFile, undefined, 'stop');
  assert.deepEqual(processesMentioning(first.runDir), []);
  assert.equal(existsSync(stateFile), false);
  assert.match(esNode(stateFile, undefined, 'stop'), /nothing was running/);
});
