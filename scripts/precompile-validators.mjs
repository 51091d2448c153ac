// Build step: writes ajv standalone validators for the profile schema and for each built-in
// stage's settings schema, so checking a profile does not compile schemas at run time.
// A validator is used only while its schema is unchanged (core compares a hash), so a stale
// file costs speed, never correctness.
import { readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const core = require(join(root, 'packages/core/dist/src/index.js'));

writeFileSync(core.PROFILE_VALIDATOR, core.precompileValidator(core.PROFILE_SCHEMA));
let n = 1;
for (const dir of readdirSync(join(root, 'stages'))) {
  const entry = join(root, 'stages', dir, 'dist/src/index.js');
  if (!existsSync(entry)) continue;
  const def = core.stageFromModule(require(entry));
  writeFileSync(core.precompiledPathFor(entry), core.precompileValidator(def.schema));
  n++;
}
process.stderr.write(`precompiled ${n} validators\n`);
