// Runs every compiled test file (dist/test/*.test.js of each package and stage, and the
// end-to-end tests in test/dist) with node's built-in test runner. Usage:
//   node scripts/run-tests.mjs [filter...]   (a filter keeps files whose path contains it)
import { readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const files = [];
function collect(dir) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) collect(p);
    else if (e.name.endsWith('.test.js')) files.push(p);
  }
}
for (const group of ['packages', 'stages']) {
  for (const pkg of readdirSync(join(root, group))) collect(join(root, group, pkg, 'dist', 'test'));
}
collect(join(root, 'test', 'dist'));

const filters = process.argv.slice(2);
const chosen = files.filter((f) => !filters.length || filters.some((x) => f.includes(x))).sort();
if (!chosen.length) {
  console.error('run-tests: no test files found (did the build run?)');
  process.exit(1);
}
if (process.getuid?.() !== 0) {
  console.error('run-tests: the tests run real containers and need root');
  process.exit(1);
}
const args = ['--test', `--test-concurrency=${Math.max(2, availableParallelism())}`, ...chosen.map((f) => relative(root, f))];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
