import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { buildPlan, parseProfile, profileFromObject, type Plan } from '@isolate/core';
import { start, type RunResult, type Container } from '@isolate/runtime';
import { trackSupervisor } from './leaks';

/** The isolate command line script of this checkout. */
export const ISOLATE_BIN = require.resolve('@isolate/cli/bin/isolate.js');
/** Built-in profiles. */
export const PROFILES_DIR = path.dirname(require.resolve('@isolate/profiles/package.json'));

export interface ProfileSpec {
  description?: string;
  stages: Array<{ name: string; with?: Record<string, unknown>; before?: string[]; after?: string[] }>;
}

/**
 * A plan from a profile object, a YAML text (when it contains a newline), a file path, or
 * the name of a built-in profile (default, minimal).
 */
export function planOf(profile: ProfileSpec | string): Plan {
  if (typeof profile !== 'string') return buildPlan(profileFromObject(profile, '<test profile>'));
  if (profile.includes('\n')) return buildPlan(parseProfile(profile, '<test profile>'));
  const file = profile.includes('/') ? profile : path.join(PROFILES_DIR, `${profile}.yaml`);
  return buildPlan(parseProfile(fs.readFileSync(file, 'utf8'), file));
}

export interface ContainerRun extends RunResult {
  stdout: string;
  stderr: string;
  warnings: string[];
}

/** Runs `command` in a real container built from `profile`, capturing its output. */
export interface ContainerRunOptions {
  input?: string;
  /** Called once the container is started (to signal it, read its pid, ...). */
  onStart?: (container: Container) => void;
  /** Called with each chunk of the command's stdout. */
  onStdout?: (chunk: string, container: Container) => void;
}

export async function runContainer(profile: ProfileSpec | string | Plan, command: string[], options: ContainerRunOptions = {}): Promise<ContainerRun> {
  const plan = typeof profile === 'object' && 'namespaces' in profile ? profile : planOf(profile as ProfileSpec | string);
  const warnings: string[] = [];
  let container: Container;
  try {
    container = await start({ plan, command, stdio: ['pipe', 'pipe', 'pipe'], onWarning: (m) => warnings.push(m) });
  } catch (err) {
    const report = (err as { report?: RunResult['failure'] }).report;
    if (report) return { exitCode: report.exitCode, failure: report, stdout: '', stderr: '', warnings };
    throw err;
  }
  const out: Buffer[] = [];
  const errs: Buffer[] = [];
  options.onStart?.(container);
  container.stdout!.on('data', (d: Buffer) => {
    out.push(d);
    options.onStdout?.(d.toString(), container);
  });
  container.stderr!.on('data', (d: Buffer) => errs.push(d));
  container.stdin!.end(options.input ?? '');
  const closed = Promise.all([
    new Promise((r) => container.stdout!.on('close', r)),
    new Promise((r) => container.stderr!.on('close', r)),
  ]);
  const result = await container.wait();
  await closed;
  return { ...result, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(errs).toString(), warnings };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with each chunk the command line writes to stdout (to wait for a marker). */
  onStdout?: (chunk: string, pid: number) => void;
  timeoutMs?: number;
}

/** Runs the isolate command line with `args` and collects its output and exit. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return startCli(args, options).done;
}

/** Starts the isolate command line; `pid` is the supervisor's, to signal it. */
export function startCli(args: string[], options: CliOptions = {}): { pid: number; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [ISOLATE_BIN, ...args], { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  if (child.pid) trackSupervisor(child.pid);
  const out: Buffer[] = [];
  const errs: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => {
    out.push(d);
    options.onStdout?.(d.toString(), child.pid!);
  });
  child.stderr.on('data', (d: Buffer) => errs.push(d));
  child.stdin.end(options.input ?? '');
  const done = new Promise<CliRun>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30000);
    child.on('error', reject);
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(errs).toString() });
    };
    child.on('close', finish);
    // A process that outlives isolate (a leak) keeps its stdout open and 'close' would never
    // come: shortly after the exit, stop waiting for the output so the test can see the leak.
    child.on('exit', (code, signal) => {
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, signal);
      }, 1000).unref();
    });
  });
  return { pid: child.pid!, done };
}

/** Writes a profile (YAML text) to a temporary file and returns its path. */
export function writeProfile(yamlText: string, name = 'profile.yaml'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-profile-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, yamlText);
  return file;
}

let busybox: string | undefined;
/**
 * A tiny root filesystem made of busybox-static (Debian package busybox-static): /bin/busybox
 * and its applets as links, plus empty /etc, /tmp, /proc, /dev and /sys. Built once per process.
 */
export function busyboxRootfs(): string {
  if (busybox) return busybox;
  const bin = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
  if (!bin) throw new Error('busybox is not installed (apt-get install busybox-static)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isolate-busybox-'));
  fs.chmodSync(dir, 0o755); // a root directory any user may traverse, as a real one is
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'dev', 'sys', 'root']) fs.mkdirSync(path.join(dir, d));
  fs.copyFileSync(bin, path.join(dir, 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(bin, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) {
    if (a !== 'busybox') fs.symlinkSync('busybox', path.join(dir, 'bin', a));
  }
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\ntty:x:5:\n');
  busybox = dir;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
