import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CAPABILITIES, PR, PR_CAP_AMBIENT_OP, FakeSys } from '@isolate/sys';
import { runStageUnit, runContainer, settingsFor, planOf, type ProfileSpec, nothingLeftAfterAll } from '@isolate/testkit';
import stage, { capabilityMask, DEFAULT_CAPABILITIES } from '../src';

nothingLeftAfterAll();

const DEFAULT_MASK = capabilityMask(DEFAULT_CAPABILITIES);

test('names: CAP_X, x and X are the same capability; unknown names are refused at plan time', () => {
  assert.equal(capabilityMask(['CAP_NET_RAW']), capabilityMask(['net_raw']));
  assert.equal(capabilityMask(['NET_RAW']), 1n << 13n);
  assert.throws(
    () => planOf({ stages: [{ name: 'capabilities', with: { keep: ['CAP_NET_RAW', 'cap_fly'] } }, { name: 'exec' }] }),
    /stage capabilities: keep: unknown capability 'cap_fly'/,
  );
  assert.throws(
    () => planOf({ stages: [{ name: 'capabilities', with: { keep: [], ambient: ['net_raw'] } }, { name: 'exec' }] }),
    /ambient capabilities must also be permitted and inheritable/,
  );
});

test('the default keeps the same 14 capabilities as Docker and runc, and sets no_new_privs', () => {
  const s = settingsFor(stage, {});
  assert.equal(s.noNewPrivs, true);
  assert.equal(DEFAULT_MASK.toString(16), 'a80425fb');
});

test('unit: bounding drops all but the kept, keepcaps around the user switch, then capset, ambient, no_new_privs', () => {
  // The fake reports EINVAL past the last capability, as the kernel does past cap_last_cap.
  const sys = new FakeSys().failNext('prctl', 'EINVAL', 1, (a) => a[0] === PR.CAPBSET_DROP && (a[1] as number) > 40);
  const { calls } = runStageUnit(stage, { keep: ['chown'], inheritable: ['chown'], ambient: ['chown'] }, { sys }).sys;
  const prctls = calls.filter((c) => c.call === 'prctl').map((c) => c.args.slice(0, 3));
  const dropped = prctls.filter((a) => a[0] === PR.CAPBSET_DROP).map((a) => a[1]);
  assert.deepEqual(dropped, Array.from({ length: 41 }, (_, i) => i).filter((i) => i !== CAPABILITIES.CHOWN).concat([41]));
  const rest = calls.filter((c) => !(c.call === 'prctl' && c.args[0] === PR.CAPBSET_DROP)).map((c) => [c.call, ...c.args.slice(0, 3)]);
  assert.deepEqual(rest, [
    ['prctl', PR.SET_KEEPCAPS, 1, 0],
    ['capset', { effective: 1n, permitted: 1n, inheritable: 1n }],
    ['prctl', PR.SET_KEEPCAPS, 0, 0],
    ['prctl', PR.CAP_AMBIENT, PR_CAP_AMBIENT_OP.CLEAR_ALL, 0],
    ['prctl', PR.CAP_AMBIENT, PR_CAP_AMBIENT_OP.RAISE, CAPABILITIES.CHOWN],
    ['prctl', PR.SET_NO_NEW_PRIVS, 1, 0],
  ]);
});

const base: ProfileSpec['stages'] = [{ name: 'namespaces' }, { name: 'rootfs' }, { name: 'mounts' }, { name: 'devices' }, { name: 'fd-links' }, { name: 'pivot-root' }];

async function status(caps: Record<string, unknown>, extra: ProfileSpec['stages'] = [], script = 'grep -E "^(Cap|NoNewPrivs)" /proc/self/status') {
  const r = await runContainer({ stages: [...base, ...extra, { name: 'capabilities', with: caps }, { name: 'env' }, { name: 'exec' }] }, ['/bin/sh', '-c', script]);
  assert.equal(r.exitCode, 0, r.stderr + JSON.stringify(r.failure));
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/:\s+/) as [string, string]));
}

test('real: the default set, as root: bounding = permitted = effective = the 14, no_new_privs', async () => {
  const st = await status({});
  const hex = DEFAULT_MASK.toString(16).padStart(16, '0');
  assert.deepEqual(st, { CapInh: '0'.repeat(16), CapPrm: hex, CapEff: hex, CapBnd: hex, CapAmb: '0'.repeat(16), NoNewPrivs: '1' });
});

test('real: no capabilities at all', async () => {
  const st = await status({ keep: [] });
  for (const k of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.equal(st[k], '0'.repeat(16), k);
});

test('real: an ambient capability survives the switch to a non-root user and execve', async () => {
  const caps = ['net_bind_service'];
  const st = await status({ keep: caps, inheritable: caps, ambient: caps }, [{ name: 'user', with: { user: '1000:1000' } }]);
  const bit = (1n << 10n).toString(16).padStart(16, '0');
  assert.deepEqual([st.CapInh, st.CapPrm, st.CapEff, st.CapAmb, st.CapBnd], [bit, bit, bit, bit, bit]);
});

const PROBES = [
  'mount -t tmpfs none /tmp 2>/dev/null && echo mount-ok || echo mount-denied',
  'mknod /tmp/n c 1 3 2>/dev/null && echo mknod-ok || echo mknod-denied',
  'touch /tmp/f && chown 1000 /tmp/f 2>/dev/null && echo chown-ok || echo chown-denied',
  // busybox ping needs a raw socket (CAP_NET_RAW): ICMP datagram sockets are off in a new netns.
  'busybox ping -c1 -W1 127.0.0.1 >/dev/null 2>&1 && echo raw-ok || echo raw-denied',
].join('; ');

test('real: without capabilities, root cannot mount, mknod, chown or open raw sockets', async () => {
  const none = await runContainer({ stages: [...base, { name: 'capabilities', with: { keep: [] } }, { name: 'env' }, { name: 'exec' }] }, ['/bin/sh', '-c', PROBES]);
  assert.equal(none.exitCode, 0, none.stderr);
  assert.deepEqual(none.stdout.trim().split('\n'), ['mount-denied', 'mknod-denied', 'chown-denied', 'raw-denied']);
  // The same probes with the default set: mknod, chown and raw sockets work, mount does not.
  const dflt = await runContainer({ stages: [...base, { name: 'capabilities' }, { name: 'env' }, { name: 'exec' }] }, ['/bin/sh', '-c', PROBES]);
  assert.deepEqual(dflt.stdout.trim().split('\n'), ['mount-denied', 'mknod-ok', 'chown-ok', 'raw-ok']);
});
