import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Stream } from 'node:stream';
import { libcSys, CLONE, type NamespaceName } from '@isolate/sys';

/** One of the command's standard streams. */
export type StdioSpec = 'inherit' | 'pipe' | 'ignore' | number | Stream;
export type Stdio = [StdioSpec, StdioSpec, StdioSpec];

/** Namespaces that apply to children only: the supervisor enters them around the spawn. */
const SPAWN_NAMESPACES: Partial<Record<NamespaceName, number>> = {
  pid: CLONE.NEWPID,
  time: CLONE.NEWTIME,
};

const INIT_SCRIPT = path.join(__dirname, 'init.js');

/** A spawned init, waiting for its plan on the channel. */
export interface InitProcess {
  readonly child: ChildProcess;
  /** The namespaces it was born into. */
  readonly namespaces: ReadonlySet<NamespaceName>;
}

/**
 * Spawns an init. Namespaces that apply to children only (pid, time) are entered by this
 * thread around the spawn, then left again (DESIGN.md fact 3). The init boots and waits for
 * its plan, so it can be spawned early, while the supervisor is still planning.
 */
export function spawnInit(namespaces: Iterable<NamespaceName>, stdio: Stdio): InitProcess {
  const wanted = new Set(namespaces);
  const sys = libcSys();
  const entered: Array<{ fd: number; flag: number }> = [];
  try {
    for (const ns of wanted) {
      const flag = SPAWN_NAMESPACES[ns];
      if (flag === undefined) continue;
      const fd = fs.openSync(`/proc/self/ns/${ns}_for_children`, 'r');
      entered.push({ fd, flag });
      sys.unshare(flag);
    }
    const child = spawn(process.execPath, [INIT_SCRIPT], { stdio: [...stdio, 'pipe'], env: process.env });
    const born = new Set([...wanted].filter((ns) => SPAWN_NAMESPACES[ns] !== undefined));
    return { child, namespaces: born };
  } finally {
    for (const { fd, flag } of entered.reverse()) {
      try {
        sys.setns(fd, flag);
      } finally {
        fs.closeSync(fd);
      }
    }
  }
}

/** True when `init` was born into exactly the spawn-time namespaces among `wanted`. */
export function initFits(init: InitProcess, wanted: ReadonlySet<NamespaceName>): boolean {
  const need = [...wanted].filter((ns) => SPAWN_NAMESPACES[ns] !== undefined);
  return need.length === init.namespaces.size && need.every((ns) => init.namespaces.has(ns));
}

/** Kills an init that will not be used and waits until it is gone. */
export function discardInit(init: InitProcess): Promise<void> {
  const { child } = init;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
