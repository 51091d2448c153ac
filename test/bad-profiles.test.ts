// Bad profiles: one clear line naming file:line:column and the path; exit 125; nothing left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, writeProfile, hostSnapshot, leftAfterSettling, nothingLeftAfterAll } from './helpers';

nothingLeftAfterAll();

async function refused(yamlText: string, expected: (file: string) => RegExp): Promise<void> {
  const file = writeProfile(yamlText, 'bad.yaml');
  const before = hostSnapshot();
  const r = await runCli(['--profile', file, '--', '/bin/true']);
  assert.equal(r.code, 125);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  assert.match(r.stderr, expected(file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
  assert.deepEqual(await leftAfterSettling(before), []);
}

test('unknown stage', () =>
  refused('stages:\n  - name: namespaces\n  - name: teleport\n  - name: exec\n', (f) =>
    new RegExp(`^isolate: ${f}:3:11: stages\\[1\\]\\.name: unknown stage 'teleport'`)));

test('unknown key', () =>
  refused('stages:\n  - name: mounts\n    with:\n      sytem: [proc]\n  - name: namespaces\n  - name: exec\n', (f) =>
    new RegExp(`^isolate: ${f}:4:7: stages\\[0\\]\\.with\\.sytem: unknown key 'sytem' \\(expected one of: system, binds, tmpfs\\)\n$`)));

test('wrong type', () =>
  refused('stages:\n  - name: namespaces\n  - name: hostname\n    with:\n      hostname: 42\n  - name: exec\n', (f) =>
    new RegExp(`^isolate: ${f}:5:17: stages\\[1\\]\\.with\\.hostname: expected string, got number 42`)));

test('bad YAML', () =>
  refused('stages:\n  - name: namespaces\n   - name: exec\n', (f) => new RegExp(`^isolate: ${f}:\\d+:\\d+: \\(document\\): invalid YAML: `)));

test('impossible order', () =>
  refused('stages:\n  - name: namespaces\n  - name: rootfs\n  - name: pivot-root\n    before: [rootfs]\n  - name: exec\n', (f) =>
    new RegExp(`^isolate: ${f}:\\d+:\\d+: stages\\[\\d\\]: impossible order: `)));
