import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError } from '../src/args';
import { resolveProfile } from '../src/main';

test('run is the default; options end at -- or the first word', () => {
  assert.deepEqual(parseArgs(['--', 'ls', '-l']), { kind: 'run', profile: undefined, command: ['ls', '-l'] });
  assert.deepEqual(parseArgs(['-p', 'x.yaml', 'ls', '-l']), { kind: 'run', profile: 'x.yaml', command: ['ls', '-l'] });
  assert.deepEqual(parseArgs(['run', '--profile=strict', '--', '--weird']), { kind: 'run', profile: 'strict', command: ['--weird'] });
});

test('plan, help and version', () => {
  assert.deepEqual(parseArgs(['plan', '--profile', 'a.yaml', '--json']), { kind: 'plan', profile: 'a.yaml', json: true });
  assert.deepEqual(parseArgs(['--help']), { kind: 'help' });
  assert.deepEqual(parseArgs(['-V']), { kind: 'version' });
});

test('usage errors', () => {
  assert.throws(() => parseArgs([]), UsageError);
  assert.throws(() => parseArgs(['--profile']), /--profile needs a value/);
  assert.throws(() => parseArgs(['--json', 'ls']), /unknown option --json/);
  assert.throws(() => parseArgs(['plan', 'ls']), /plan takes no command/);
});

test('built-in profiles resolve by name', () => {
  assert.match(resolveProfile(undefined), /profiles\/default\.yaml$/);
  assert.match(resolveProfile('minimal'), /profiles\/minimal\.yaml$/);
  assert.throws(() => resolveProfile('nope'), /nope: no such profile file or built-in profile/);
});
