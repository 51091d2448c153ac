import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseProfile, buildPlan, ProfileError, PROFILE_SCHEMA, explainPlan, type Plan } from '../src';

function planText(text: string, file = 'p.yaml'): Plan {
  return buildPlan(parseProfile(text, file));
}

function profileError(text: string): ProfileError {
  try {
    planText(text);
  } catch (err) {
    assert.ok(err instanceof ProfileError, `expected ProfileError, got ${String(err)}`);
    return err;
  }
  assert.fail('the profile was accepted');
}

const BASE = `stages:
  - name: namespaces
  - name: exec
`;

test('a good profile plans, with defaults filled in', () => {
  const plan = planText(BASE);
  assert.deepEqual(plan.stages.map((s) => s.name), ['namespaces', 'exec']);
  assert.deepEqual(plan.stages[0]!.settings.unshare, ['mount', 'uts', 'ipc', 'net', 'pid', 'cgroup']);
  assert.deepEqual([...plan.namespaces].sort(), ['cgroup', 'ipc', 'mount', 'net', 'pid', 'uts']);
});

test('bad YAML names file, line and column', () => {
  const e = profileError('stages:\n  - name: exec\n    with: {a: 1\n');
  assert.equal(e.file, 'p.yaml');
  assert.equal(e.line, 4);
  assert.match(e.message, /^p\.yaml:\d+:\d+: \(document\): invalid YAML: /);
});

test('unknown top-level key points at the key', () => {
  const e = profileError('stages: []\nstagez: []\n');
  assert.equal(e.message, "p.yaml:2:1: stagez: unknown key 'stagez' (expected one of: description, stages)");
});

test('unknown stage names the entry and where it was looked for', () => {
  const e = profileError('stages:\n  - name: namespaces\n  - name: nosuchstage\n  - name: exec\n');
  assert.equal(e.line, 3);
  assert.equal(e.col, 11);
  assert.match(e.message, /^p\.yaml:3:11: stages\[1\]\.name: unknown stage 'nosuchstage' \(looked for @isolate\/stage-nosuchstage, isolate-stage-nosuchstage\)$/);
});

test("unknown key in a stage's settings points at the key", () => {
  const e = profileError('stages:\n  - name: hostname\n    with:\n      hostnam: x\n  - name: exec\n');
  assert.equal(e.message, "p.yaml:4:7: stages[0].with.hostnam: unknown key 'hostnam' (expected one of: hostname, domainname)");
});

test('wrong type names what was expected and what was found', () => {
  const e = profileError('stages:\n  - name: namespaces\n    with:\n      loopback: "yes"\n  - name: exec\n');
  assert.equal(e.message, 'p.yaml:4:17: stages[0].with.loopback: expected boolean, got "yes" (bring up lo in a new network namespace)');
});

test('a bare octal mode is refused with the reason', () => {
  const e = profileError('stages:\n  - name: env\n    with:\n      umask: 22\n  - name: exec\n');
  assert.match(e.message, /^p\.yaml:4:14: stages\[0\]\.with\.umask: expected string, got number 22 \(an octal mode as a string, e\.g\. "0755"\)$/);
});

test('an enum value out of range lists the choices', () => {
  const e = profileError('stages:\n  - name: namespaces\n    with:\n      unshare: [mount, bogus]\n  - name: exec\n');
  assert.match(e.message, /^p\.yaml:4:24: stages\[0\]\.with\.unshare\[1\]: expected one of "mount", "uts", .*got "bogus"$/);
});

test('an empty profile and a profile without stages are refused', () => {
  assert.match(profileError('').message, /the profile is empty/);
  assert.match(profileError('description: x\n').message, /missing required key 'stages'/);
});

test('a stage listed twice is refused', () => {
  const e = profileError('stages:\n  - name: exec\n  - name: exec\n');
  assert.match(e.message, /^p\.yaml:3:11: stages\[1\]\.name: stage 'exec' is already listed at stages\[0\]/);
});

test('a profile without the exec stage is refused', () => {
  assert.match(profileError('stages:\n  - name: namespaces\n').message, /no stage runs the command: add the exec stage/);
});

test('requirements between stages are checked', () => {
  const e = profileError('stages:\n  - name: namespaces\n    with: {unshare: [pid]}\n  - name: mounts\n  - name: exec\n');
  assert.match(e.message, /stage mounts: needs a mount namespace/);
  const h = profileError('stages:\n  - name: namespaces\n    with: {unshare: [mount]}\n  - name: hostname\n  - name: exec\n');
  assert.match(h.message, /stage hostname: needs a uts namespace \(add uts to namespaces\.unshare\), or it would rename the host/);
  const p = profileError('stages:\n  - name: namespaces\n  - name: pivot-root\n  - name: exec\n');
  assert.match(p.message, /stage pivot-root requires stage rootfs, which is not in this profile/);
});

test('stages are ordered by phase whatever the list order', () => {
  const plan = planText('stages:\n  - name: exec\n  - name: pivot-root\n  - name: mounts\n  - name: rootfs\n  - name: namespaces\n');
  assert.deepEqual(plan.stages.map((s) => s.name), ['namespaces', 'rootfs', 'mounts', 'pivot-root', 'exec']);
});

test('an impossible order (mounts after pivot-root) is refused with the reasons', () => {
  const e = profileError(
    'stages:\n  - name: namespaces\n  - name: rootfs\n  - name: mounts\n    after: [pivot-root]\n  - name: pivot-root\n  - name: exec\n',
  );
  assert.match(e.message, /impossible order: /);
  assert.match(e.message, /mounts before pivot-root \(phase mounts runs before phase pivot\)/);
  assert.match(e.message, /pivot-root before mounts \(the profile says mounts after pivot-root\)/);
});

test('before/after naming a stage not in the profile is refused', () => {
  const e = profileError('stages:\n  - name: namespaces\n    before: [rootfs]\n  - name: exec\n');
  assert.equal(e.message, "p.yaml:3:14: stages[0].before[0]: no stage named 'rootfs' in this profile");
});

test('third-party stages load from a relative path, with their own schema', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-core-'));
  const core = require.resolve('../src');
  fs.writeFileSync(
    path.join(dir, 'greeter.js'),
    `const { defineStage } = require(${JSON.stringify(core)});
     module.exports = defineStage({ contract: 1, name: 'greeter', description: 'says hi', phase: 'configure',
       schema: { type: 'object', additionalProperties: false, properties: { word: { type: 'string', default: 'hi' } } },
       container(hooks, s) { hooks.configure.tap('greeter', (ctx) => { ctx.env.GREETING = s.word; }); } });`,
  );
  fs.writeFileSync(path.join(dir, 'p.yaml'), 'stages:\n  - name: ./greeter.js\n    with: {word: 3}\n  - name: exec\n');
  const file = path.join(dir, 'p.yaml');
  assert.throws(() => buildPlan(parseProfile(fs.readFileSync(file, 'utf8'), file)), /p\.yaml:3:18: stages\[0\]\.with\.word: expected string, got number 3/);
  fs.writeFileSync(file, 'stages:\n  - name: ./greeter.js\n  - name: exec\n');
  const plan = buildPlan(parseProfile(fs.readFileSync(file, 'utf8'), file));
  assert.equal(plan.stages[0]!.name, 'greeter');
  assert.deepEqual(plan.stages[0]!.hooks, { container: ['configure'], host: [] });
  fs.writeFileSync(path.join(dir, 'notastage.js'), 'module.exports = { hello: 1 };');
  fs.writeFileSync(file, 'stages:\n  - name: ./notastage.js\n  - name: exec\n');
  assert.throws(() => buildPlan(parseProfile(fs.readFileSync(file, 'utf8'), file)), /does not export a stage/);
  fs.rmSync(dir, { recursive: true });
});

test('within a phase, declared before/after decide, then the list order', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-order-'));
  const core = require.resolve('../src');
  const stage = (name: string, extra: string) =>
    fs.writeFileSync(
      path.join(dir, `${name}.js`),
      `module.exports = require(${JSON.stringify(core)}).defineStage({ contract: 1, name: '${name}', description: '${name}',
         phase: 'configure', schema: { type: 'object' }, ${extra} container() {} });`,
    );
  stage('a', '');
  stage('b', "before: ['a'],");
  const file = path.join(dir, 'p.yaml');
  fs.writeFileSync(file, 'stages:\n  - name: ./a.js\n  - name: ./b.js\n  - name: hostname\n  - name: exec\n  - name: namespaces\n');
  const plan = buildPlan(parseProfile(fs.readFileSync(file, 'utf8'), file));
  assert.deepEqual(plan.stages.map((s) => s.name), ['namespaces', 'b', 'a', 'hostname', 'exec']);
  fs.writeFileSync(file, 'stages:\n  - name: ./a.js\n  - name: ./b.js\n    after: [a]\n  - name: exec\n');
  assert.throws(() => buildPlan(parseProfile(fs.readFileSync(file, 'utf8'), file)), /impossible order: (b before a \(stage b declares before: a\), but a before b \(the profile says b after a\)|a before b \(the profile says b after a\), but b before a \(stage b declares before: a\))/);
  fs.rmSync(dir, { recursive: true });
});

test('explainPlan shows each stage, its phase, hooks and settings', () => {
  const text = explainPlan(planText(BASE));
  assert.match(text, /1\. namespaces \[namespaces\]  hooks: host:prepare, container:namespaces/);
  assert.match(text, /2\. exec \[exec\]  hooks: container:exec/);
  assert.match(text, /with: \{"unshare":\["mount"/);
});

test('profiles/profile.schema.json is the schema the loader uses', () => {
  const file = path.join(path.dirname(require.resolve('@isolate/profiles/package.json')), 'profile.schema.json');
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), PROFILE_SCHEMA);
});

test('the built-in profiles plan', () => {
  const dir = path.dirname(require.resolve('@isolate/profiles/package.json'));
  for (const name of ['default.yaml', 'minimal.yaml']) {
    const file = path.join(dir, name);
    const plan = buildPlan(parseProfile(fs.readFileSync(file, 'utf8'), file));
    assert.equal(plan.stages.at(-1)!.name, 'exec');
  }
});
