// Writes stages/<name>/README.md from each stage's definition (name, phase, settings schema).
// test/docs.test.ts fails when a README is out of date.
import { readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const core = require(join(root, 'packages/core/dist/src/index.js'));
for (const dir of readdirSync(join(root, 'stages'))) {
  const pkg = JSON.parse(readFileSync(join(root, 'stages', dir, 'package.json'), 'utf8'));
  const def = core.stageFromModule(require(join(root, 'stages', dir)));
  writeFileSync(join(root, 'stages', dir, 'README.md'), core.stageReadme(def, pkg.name));
}
