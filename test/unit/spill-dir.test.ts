import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultSpillDir } from '../../src/transport/options.js';
import { ensurePrivateDir, UnsafeSpillDirError } from '../../src/transport/spill-dir.js';

test("the default disk buffer is in the user's state folder, never the shared temporary one", () => {
  assert.equal(
    defaultSpillDir('logs-mlmon.predictions-default', { XDG_STATE_HOME: '/srv/state' }),
    '/srv/state/ml-input-monitor/spill/logs-mlmon.predictions-default',
  );
  // a relative XDG_STATE_HOME is invalid by the XDG spec: ignored
  for (const env of [{}, { XDG_STATE_HOME: 'relative' }])
    assert.equal(
      defaultSpillDir('logs-mlmon.predictions-x', env),
      join(homedir(), '.local', 'state', 'ml-input-monitor', 'spill', 'logs-mlmon.predictions-x'),
    );
});

test('a private folder is created 0700 with its parents; unsafe ones are refused', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'mlmon-dir-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'a', 'b');
  ensurePrivateDir(dir);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(root, 'a')).mode & 0o777, 0o700);
  ensurePrivateDir(dir); // again: fine

  const open = join(root, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  assert.throws(() => ensurePrivateDir(open), UnsafeSpillDirError);
  const link = join(root, 'link');
  symlinkSync(dir, link);
  assert.throws(() => ensurePrivateDir(link), /not a directory/);
});
