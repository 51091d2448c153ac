// Documentation that must match the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stageReadme, stageFromModule } from '@isolate/core';

const ROOT = path.resolve(__dirname, '..', '..');

test('each stage README documents the settings its schema checks (npm run docs)', () => {
  for (const dir of fs.readdirSync(path.join(ROOT, 'stages'))) {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'stages', dir, 'package.json'), 'utf8')) as { name: string };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const def = stageFromModule(require(path.join(ROOT, 'stages', dir)))!;
    const file = path.join(ROOT, 'stages', dir, 'README.md');
    assert.equal(fs.readFileSync(file, 'utf8'), stageReadme(def, pkg.name), `${file} is out of date: run npm run docs`);
  }
});

test('the README names every stage package and built-in profile', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const dir of fs.readdirSync(path.join(ROOT, 'stages'))) assert.ok(readme.includes(`[${dir}](stages/${dir}/`), `README lacks stage ${dir}`);
  for (const f of fs.readdirSync(path.join(ROOT, 'profiles')).filter((f) => f.endsWith('.yaml'))) {
    assert.ok(readme.includes(`\`${f.replace('.yaml', '')}\``), `README lacks profile ${f}`);
  }
});
