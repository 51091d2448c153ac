#!/usr/bin/env node
// Startup benchmark: how long does it take to run /bin/true in a container?
//
// Compares isolate (built-in profiles "minimal" and "default", and a profile on a
// busybox rootfs) against runc, bubblewrap and a bare `node -e 0`.
//
//   node bench/startup.mjs [--rounds N] [--warmup N] [--json]
//
// Needs root, the built project (`npm run build`), runc, bwrap, busybox and GNU
// /usr/bin/time. Scratch files live in bench/.work/ (git-ignored). See README.md.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(BENCH_DIR);
const WORK = path.join(BENCH_DIR, '.work');
const ROOTFS = path.join(WORK, 'rootfs');
const ROOTFS_READY = path.join(WORK, 'rootfs.ready');
const BUNDLE = path.join(WORK, 'runc-bundle');
const BUSYBOX_PROFILE = path.join(WORK, 'busybox.yaml');
const ISOLATE = path.join(REPO, 'packages', 'cli', 'bin', 'isolate.js');

const BUSYBOX = '/usr/bin/busybox';
const RUNC = '/usr/sbin/runc';
const BWRAP = '/usr/bin/bwrap';
const TIME = '/usr/bin/time';

const USAGE = `usage: node bench/startup.mjs [--rounds N] [--warmup N] [--only NAMES] [--json]

  --rounds N   measured rounds (default 20); every round runs each contender once
               for wall time and once under ${TIME} for peak RSS
  --warmup N   unmeasured warm-up rounds first (default 2)
  --only NAMES run only the contenders whose name contains one of the
               comma-separated NAMES (e.g. --only runc,bwrap)
  --json       print the results as JSON instead of a table`;

// ---------------------------------------------------------------------------
// arguments

function parseArgs(argv) {
  const opts = { rounds: 20, warmup: 2, json: false, only: null };
  const int = (flag, v, min) => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) {
      fail(`${flag} needs an integer >= ${min}\n${USAGE}`);
    }
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') opts.json = true;
    else if (a === '--rounds') opts.rounds = int(a, argv[++i], 1);
    else if (a.startsWith('--rounds=')) opts.rounds = int('--rounds', a.slice(9), 1);
    else if (a === '--warmup') opts.warmup = int(a, argv[++i], 0);
    else if (a.startsWith('--warmup=')) opts.warmup = int('--warmup', a.slice(9), 0);
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice(7);
      if (!v) fail(`--only needs a comma-separated list of names\n${USAGE}`);
      opts.only = v.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else fail(`unknown argument: ${a}\n${USAGE}`);
  }
  return opts;
}

function fail(message) {
  process.stderr.write(`startup: ${message}\n`);
  process.exit(1);
}

class BenchError extends Error {}

// ---------------------------------------------------------------------------
// preparation

/** Mount points (field 5 of mountinfo, unescaped) at or under `dir`. */
function mountsUnder(dir) {
  const unescape = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => unescape(line.split(' ')[4]))
    .filter((mp) => mp === dir || mp.startsWith(dir + '/'));
}

function prepareRootfs() {
  if (fs.existsSync(ROOTFS_READY) && fs.existsSync(path.join(ROOTFS, 'bin', 'busybox'))) return false;
  if (fs.existsSync(ROOTFS)) {
    const busy = mountsUnder(ROOTFS);
    if (busy.length) throw new BenchError(`refusing to rebuild ${ROOTFS}: mounts under it: ${busy.join(', ')}`);
    fs.rmSync(ROOTFS, { recursive: true, force: true });
  }
  const bin = path.join(ROOTFS, 'bin');
  fs.mkdirSync(bin, { recursive: true, mode: 0o755 });
  fs.copyFileSync(BUSYBOX, path.join(bin, 'busybox'));
  fs.chmodSync(path.join(bin, 'busybox'), 0o755);
  const list = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' });
  if (list.status !== 0) throw new BenchError(`${BUSYBOX} --list failed: ${list.stderr}`);
  for (const applet of list.stdout.split('\n').map((s) => s.trim())) {
    if (!applet || applet === 'busybox' || applet.includes('/')) continue;
    fs.symlinkSync('busybox', path.join(bin, applet));
  }
  for (const dir of ['etc', 'tmp', 'proc', 'dev', 'sys', 'root']) {
    fs.mkdirSync(path.join(ROOTFS, dir), { recursive: true, mode: 0o755 });
  }
  fs.chmodSync(path.join(ROOTFS, 'tmp'), 0o1777);
  fs.writeFileSync(ROOTFS_READY, `${new Date().toISOString()}\n`);
  return true;
}

function prepareRuncBundle() {
  fs.mkdirSync(BUNDLE, { recursive: true });
  const config = path.join(BUNDLE, 'config.json');
  fs.rmSync(config, { force: true }); // `runc spec` refuses to overwrite
  const r = spawnSync(RUNC, ['spec'], { cwd: BUNDLE, encoding: 'utf8' });
  if (r.status !== 0) throw new BenchError(`runc spec failed (${r.status}): ${r.stderr}`);
  const spec = JSON.parse(fs.readFileSync(config, 'utf8'));
  spec.root = { ...spec.root, path: ROOTFS, readonly: true };
  spec.process.terminal = false;
  spec.process.args = ['/bin/true'];
  fs.writeFileSync(config, JSON.stringify(spec, null, 2) + '\n');
}

function prepareBusyboxProfile() {
  const yaml = `description: >
  Benchmark profile: isolate on the busybox rootfs in bench/.work (generated by bench/startup.mjs).
stages:
  - name: namespaces
    with: { unshare: [mount, uts, ipc, net, pid, cgroup] }
  - name: rootfs
    with: { path: ${JSON.stringify(ROOTFS)}, readonly: true }
  - name: mounts
  - name: devices
  - name: fd-links
  - name: pivot-root
  - name: hostname
  - name: env
  - name: exec
`;
  fs.writeFileSync(BUSYBOX_PROFILE, yaml);
}

// ---------------------------------------------------------------------------
// running

const RUN_PREFIX = `isolate-bench-${process.pid}-`;
let runcCounter = 0;
const runcIds = [];
let current = null; // the child being waited for, for the signal handler
let interrupted = false;

/**
 * Spawns argv with stdin from /dev/null and waits for it. Resolves with the wall
 * time (ms, from spawn to the exit event), the exit status and the output.
 */
function run(argv) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    // its own process group, so an interrupt can stop the whole tree (time -> runc -> ...)
    const child = spawn(argv[0], argv.slice(1), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    current = child;
    let t1 = null;
    let code = null;
    let signal = null;
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    child.on('error', (e) => {
      current = null;
      reject(new BenchError(`${argv[0]}: ${e.message}`));
    });
    child.on('exit', (c, s) => {
      t1 = process.hrtime.bigint();
      code = c;
      signal = s;
    });
    child.on('close', () => {
      current = null;
      if (t1 === null) return; // 'error' already rejected
      resolve({
        ms: Number(t1 - t0) / 1e6,
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

function runcDelete(id) {
  return spawnSync(RUNC, ['delete', '-f', id], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
}

/** The contenders: each builds the argv of one run; `after` cleans up after a run. */
function contenders() {
  const node = process.execPath;
  return [
    { name: 'isolate minimal', argv: () => [node, ISOLATE, '--profile', 'minimal', '--', '/bin/true'] },
    { name: 'isolate default', argv: () => [node, ISOLATE, '--profile', 'default', '--', '/bin/true'] },
    { name: 'isolate strict', argv: () => [node, ISOLATE, '--profile', 'strict', '--', '/bin/true'] },
    { name: 'isolate busybox', argv: () => [node, ISOLATE, '--profile', BUSYBOX_PROFILE, '--', '/bin/true'] },
    {
      name: 'runc run',
      argv: (ctx) => {
        ctx.id = `${RUN_PREFIX}${++runcCounter}`;
        runcIds.push(ctx.id);
        return [RUNC, 'run', '--bundle', BUNDLE, ctx.id];
      },
      // `runc run` removes the container when it exits cleanly; make sure of it otherwise
      after: (ctx, result) => {
        if (!result || result.code !== 0) runcDelete(ctx.id);
      },
    },
    {
      name: 'bwrap',
      argv: () => [BWRAP, '--unshare-all', '--die-with-parent', '--ro-bind', ROOTFS, '/', '--proc', '/proc', '--dev', '/dev', '/bin/true'],
    },
    { name: 'node -e 0', argv: () => [node, '-e', '0'] },
  ];
}

function describe(c, argv) {
  return `${c.name}: ${argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`;
}

/** One run of contender c; with `rss`, under /usr/bin/time -f %M. Throws if it did not exit 0. */
async function measure(c, rss) {
  const ctx = {};
  const argv = c.argv(ctx);
  const full = rss ? [TIME, '-f', '%M', ...argv] : argv;
  let result = null;
  try {
    result = await run(full);
  } finally {
    c.after?.(ctx, result);
  }
  if (interrupted) throw new BenchError('interrupted');
  let stderr = result.stderr;
  let maxRssKB = null;
  if (rss) {
    const lines = stderr.replace(/\n$/, '').split('\n');
    const last = lines.pop() ?? '';
    stderr = lines.join('\n');
    if (/^\d+$/.test(last.trim())) maxRssKB = Number(last.trim());
    else if (result.code === 0) throw new BenchError(`${describe(c, full)}\ncould not parse max RSS from ${TIME}: ${JSON.stringify(last)}`);
  }
  if (result.code !== 0) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited ${result.code}`;
    throw new BenchError(`${describe(c, full)}\n${how}; its stderr:\n${result.stderr || '(empty)\n'}${result.stdout ? `its stdout:\n${result.stdout}` : ''}`);
  }
  return { ms: result.ms, maxRssKB };
}

// ---------------------------------------------------------------------------
// statistics and output

function quantile(sorted, q) {
  // nearest-rank
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function summarize(c, samples) {
  const ms = samples.map((s) => s.ms);
  const sorted = [...ms].sort((a, b) => a - b);
  const rss = samples.map((s) => s.maxRssKB).filter((x) => x !== null);
  return {
    name: c.name,
    medianMs: round(median(ms)),
    p90Ms: round(quantile(sorted, 0.9)),
    minMs: round(sorted[0]),
    maxMs: round(sorted[sorted.length - 1]),
    medianMaxRssMB: rss.length ? round(median(rss) / 1024, 1) : null,
    samplesMs: ms.map((x) => round(x, 3)),
    maxRssKB: rss,
  };
}

function ratios(stats) {
  const by = Object.fromEntries(stats.map((s) => [s.name, s]));
  const out = [];
  for (const s of stats.filter((s) => s.name.startsWith('isolate '))) {
    for (const base of ['runc run', 'bwrap']) {
      if (by[base]) out.push({ contender: s.name, baseline: base, ratio: round(s.medianMs / by[base].medianMs, 1) });
    }
  }
  return out;
}

function table(stats, rs, opts) {
  const head = ['contender', 'median ms', 'p90 ms', 'min ms', 'median max-RSS MB'];
  const rows = stats.map((s) => [
    s.name,
    s.medianMs.toFixed(1),
    s.p90Ms.toFixed(1),
    s.minMs.toFixed(1),
    s.medianMaxRssMB === null ? '-' : s.medianMaxRssMB.toFixed(1),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  const lines = [
    `startup of /bin/true: ${opts.rounds} rounds (after ${opts.warmup} warm-up), round-robin`,
    '',
    fmt(head),
    w.map((n) => '-'.repeat(n)).join('  '),
    ...rows.map(fmt),
    '',
    ...rs.map((r) => `${r.contender} / ${r.baseline === 'runc run' ? 'runc' : r.baseline} = ${r.ratio.toFixed(1)}x`),
  ];
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------
// leftovers

function runcLeftovers() {
  const r = spawnSync(RUNC, ['list', '-q'], { encoding: 'utf8' });
  if (r.status !== 0) return { error: `runc list -q failed (${r.status}): ${r.stderr.trim()}`, ids: [] };
  const mine = new Set(runcIds);
  return { ids: r.stdout.split('\n').map((s) => s.trim()).filter((id) => mine.has(id) || id.startsWith(RUN_PREFIX)) };
}

/** Checks that nothing is left behind; cleans up what is and reports it. */
function checkLeftovers() {
  const problems = [];
  let left = runcLeftovers();
  if (left.error) problems.push(left.error);
  if (left.ids.length) {
    problems.push(`runc containers left behind: ${left.ids.join(', ')} (deleting them)`);
    for (const id of left.ids) runcDelete(id);
    left = runcLeftovers();
    if (left.ids.length) problems.push(`still there after runc delete -f: ${left.ids.join(', ')}`);
  }
  const mounts = mountsUnder(WORK);
  if (mounts.length) problems.push(`mounts left under ${WORK}: ${mounts.join(', ')}`);
  return problems;
}

// ---------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const log = (m) => process.stderr.write(m);
  const progress = (m) => {
    if (process.stderr.isTTY) log(m);
  };

  if (process.getuid?.() !== 0) fail('must run as root (runc, bwrap and isolate need it)');
  for (const f of [BUSYBOX, RUNC, BWRAP, TIME, ISOLATE]) {
    if (!fs.existsSync(f)) fail(`${f} not found${f === ISOLATE ? ' (build the project: npm run build)' : ''}`);
  }

  const onSignal = (sig) => {
    if (interrupted) return;
    interrupted = true;
    log(`\nstartup: ${sig}, stopping\n`);
    if (current?.pid) {
      try {
        process.kill(-current.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let exitCode = 0;
  let report = null;
  try {
    fs.mkdirSync(WORK, { recursive: true });
    if (prepareRootfs()) log(`startup: built busybox rootfs in ${path.relative(REPO, ROOTFS)}\n`);
    prepareRuncBundle();
    prepareBusyboxProfile();

    const cs = contenders().filter((c) => !opts.only || opts.only.some((o) => c.name.includes(o)));
    if (!cs.length) throw new BenchError(`--only ${opts.only.join(',')} matches no contender`);
    const samples = new Map(cs.map((c) => [c.name, []]));
    const total = opts.warmup + opts.rounds;
    for (let r = 0; r < total; r++) {
      const warm = r < opts.warmup;
      progress(`\rstartup: ${warm ? `warm-up ${r + 1}/${opts.warmup}` : `round ${r - opts.warmup + 1}/${opts.rounds}`}   `);
      // rotate the starting contender so no one always runs first
      const order = cs.map((_, i) => cs[(i + r) % cs.length]);
      const timed = new Map();
      for (const c of order) {
        if (interrupted) throw new BenchError('interrupted');
        timed.set(c.name, (await measure(c, false)).ms);
      }
      for (const c of order) {
        if (interrupted) throw new BenchError('interrupted');
        const { maxRssKB } = await measure(c, true);
        if (!warm) samples.get(c.name).push({ ms: timed.get(c.name), maxRssKB });
      }
    }
    progress('\r' + ' '.repeat(40) + '\r');

    const stats = cs.map((c) => summarize(c, samples.get(c.name)));
    report = { stats, ratios: ratios(stats) };
  } catch (e) {
    progress('\n');
    if (e instanceof BenchError) log(`startup: ${e.message}\n`);
    else log(`startup: ${e?.stack ?? e}\n`);
    exitCode = 1;
  } finally {
    const problems = checkLeftovers();
    for (const p of problems) log(`startup: ${p}\n`);
    if (problems.length) exitCode = 1;
    if (report) {
      if (opts.json) {
        const json = {
          command: '/bin/true',
          rounds: opts.rounds,
          warmup: opts.warmup,
          node: process.version,
          contenders: report.stats,
          ratios: report.ratios,
          leftovers: problems,
        };
        process.stdout.write(JSON.stringify(json, null, 2) + '\n');
      } else {
        process.stdout.write(table(report.stats, report.ratios, opts));
        if (!problems.length) process.stdout.write('\nno mounts under bench/.work and no runc containers left behind\n');
      }
    }
  }
  process.exitCode = exitCode;
}

await main();
