import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, loadRunConfig } from '../../src/config.ts';
import { makeTempDir } from '../helpers/tmp.ts';

const tmp = makeTempDir();
after(tmp.cleanup);

test('flags override env which overrides the config file', () => {
  const file = join(tmp.dir, 'flinkops.yaml');
  writeFileSync(file, 'repo: /from/file\nbranch: file-branch\npollIntervalMs: 1000\nui:\n  readOnly: true\n');
  const config = loadRunConfig({
    file,
    env: { FLINKOPS_BRANCH: 'env-branch', FLINKOPS_PATHS: 'a/*.yaml, b/*.yaml' },
    flags: { branch: 'flag-branch', once: true },
  });
  assert.equal(config.repo, '/from/file');
  assert.equal(config.branch, 'flag-branch');
  assert.deepEqual(config.paths, ['a/*.yaml', 'b/*.yaml']);
  assert.equal(config.pollIntervalMs, 1000);
  assert.equal(config.ui.readOnly, true);
  assert.equal(config.once, true);
  assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
});

test('every error names the setting (and its environment variable)', () => {
  assert.throws(
    () => loadRunConfig({ env: { FLINKOPS_REDIS_URL: 'http://nope', FLINKOPS_ROLE: 'boss' }, flags: {} }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const text = err.problems.join('\n');
      assert.match(text, /^repo \(FLINKOPS_REPO\): /m);
      assert.match(text, /redisUrl \(FLINKOPS_REDIS_URL\): must be a redis/);
      assert.match(text, /role \(FLINKOPS_ROLE\): /);
      return true;
    },
  );
});

test('a provider status needs its credentials', () => {
  assert.throws(
    () => loadRunConfig({ flags: { repo: '/r', status: 'github' } }),
    /github: status "github" needs/,
  );
});

test('a malformed config file is reported with its path', () => {
  const file = join(tmp.dir, 'bad.yaml');
  writeFileSync(file, 'repo: [unclosed\n');
  assert.throws(
    () => loadRunConfig({ file, flags: {} }),
    new RegExp(`config file ${file.replace(/[/.]/g, '\\$&')}`),
  );
});
