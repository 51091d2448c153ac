import * as fs from 'node:fs';
import * as path from 'node:path';
import { defineStage, IsolateError, EXIT, type ContainerContext } from '@isolate/core';
import { F, isSysError } from '@isolate/sys';

export interface ExecSettings {
  searchPath: string;
  closeFds: boolean;
  newSession: boolean;
}

export default defineStage<ExecSettings>({
  contract: 1,
  name: 'exec',
  description: "Finds the command in the container's PATH and replaces the init with it (execve); the command keeps the init's PID.",
  phase: 'exec',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      searchPath: {
        type: 'string',
        default: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        description: 'where to look for the command when the environment has no PATH',
      },
      closeFds: { type: 'boolean', default: true, description: 'mark every descriptor above 2 close-on-exec so the command inherits only stdio' },
      newSession: {
        type: 'boolean',
        default: true,
        description:
          "start a new session without a controlling terminal, so the command cannot push input into the terminal of whoever ran isolate (TIOCSTI); signals from that terminal still reach it through the supervisor. false keeps job control for interactive shells",
      },
    },
  },
  container(hooks, s) {
    hooks.exec.tap('exec', (ctx) => {
      const [name, ...args] = ctx.command;
      if (name === undefined || name === '') throw new IsolateError('no command given', EXIT.RUNTIME);
      ctx.step(`find ${name}`);
      const file = findCommand(name, ctx.env.PATH ?? s.searchPath);
      if (s.newSession) {
        ctx.step('setsid');
        ctx.sys.setsid();
      }
      ctx.step('prepare descriptors');
      // Node leaves 0-2 close-on-exec in a child it spawns (DESIGN.md fact 5).
      for (const fd of [0, 1, 2]) {
        try {
          ctx.sys.fcntl(fd, F.SETFD, 0);
        } catch (err) {
          if (!(isSysError(err) && err.code === 'EBADF')) throw err;
        }
      }
      if (s.closeFds) ctx.sys.closeRangeCloexec(3);
      ctx.step(`execve ${file}`);
      try {
        ctx.sys.execve(file, [name, ...args], envp(ctx));
      } catch (err) {
        if (!isSysError(err)) throw err;
        throw execFailure(name, file, err.code, err.message);
      }
    });
  },
});

function envp(ctx: ContainerContext): string[] {
  return Object.entries(ctx.env).map(([k, v]) => `${k}=${v}`);
}

/** Resolves `name` the way execvp does: as a path when it has a slash, else along PATH. */
export function findCommand(name: string, searchPath: string): string {
  if (name.includes('/')) {
    checkRunnable(name, name);
    return name;
  }
  let denied: string | undefined;
  for (const dir of searchPath.split(':')) {
    const candidate = path.join(dir || '.', name);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(candidate, { throwIfNoEntry: false });
    } catch {
      denied ??= candidate; // a directory on the way is closed to this user
      continue;
    }
    if (!st || st.isDirectory()) continue;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      denied ??= candidate;
    }
  }
  if (denied) throw new IsolateError(`${name}: permission denied (${denied} is not executable)`, EXIT.NOT_EXECUTABLE);
  throw new IsolateError(`${name}: command not found in the container (PATH=${searchPath})`, EXIT.NOT_FOUND);
}

function checkRunnable(name: string, file: string): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    throw new IsolateError(`${name}: permission denied`, EXIT.NOT_EXECUTABLE);
  }
  if (!st) throw new IsolateError(`${name}: no such file or directory in the container`, EXIT.NOT_FOUND);
  if (st.isDirectory()) throw new IsolateError(`${name}: is a directory`, EXIT.NOT_EXECUTABLE);
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new IsolateError(`${name}: permission denied`, EXIT.NOT_EXECUTABLE);
  }
}

function execFailure(name: string, file: string, code: string, message: string): IsolateError {
  switch (code) {
    case 'ENOENT':
      return new IsolateError(`${name}: cannot run ${file}: no such file (is its interpreter or loader missing in the container?)`, EXIT.NOT_FOUND);
    case 'EACCES':
    case 'ENOEXEC':
    case 'EISDIR':
    case 'ETXTBSY':
      return new IsolateError(`${name}: cannot run ${file}: ${message}`, EXIT.NOT_EXECUTABLE);
    default:
      return new IsolateError(`${name}: ${message}`, EXIT.RUNTIME);
  }
}
