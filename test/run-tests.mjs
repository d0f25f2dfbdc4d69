#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's built-in test runner through tsx.
// `node test/run-tests.mjs unit` runs only files whose path contains "unit".
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function collect(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'fixtures' || entry === 'node_modules') continue;
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...collect(full));
    else if (entry.endsWith('.test.ts')) out.push(relative(root, full));
  }
  return out;
}

const files = collect(join(root, 'test'))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched', filters.join(' '));
  process.exit(1);
}
// A test that hangs fails after TEST_TIMEOUT_MS instead of holding CI until its limit, and a file whose
// tests are done exits even when a failed test left a connection open (seen: a Redis client that an
// assertion skipped closing kept its file, and so the whole run, waiting forever).
const TEST_TIMEOUT_MS = 300_000;
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    `--test-timeout=${TEST_TIMEOUT_MS}`,
    '--test-force-exit',
    ...files,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FLINKOPS_LOG_LEVEL: process.env.FLINKOPS_LOG_LEVEL ?? 'silent' },
  },
);
process.exit(result.status ?? 1);
