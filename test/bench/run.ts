// `npm run bench`: runs every test/bench/*.bench.ts in turn (each prints its own figures and ratios
// against a baseline measured in the same run). `npm run bench -- plan` runs only matching files.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('.', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(dir, file)], {
    stdio: 'inherit',
    env: { ...process.env, FLINKOPS_LOG_LEVEL: 'silent' },
  });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
