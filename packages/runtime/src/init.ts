// The init: a fresh Node process that becomes the container's command. It runs the
// container-side hooks synchronously on its main thread (DESIGN.md facts 1-2) and ends in
// execve, so the command keeps this PID (1 in a new PID namespace).
import { libcSys, PR, SIGNALS, F, FD_CLOEXEC } from '@isolate/sys';
import { ContainerPipeline, failureReport, stageFromModule, IsolateError, EXIT, type FailureReport, type Position } from '@isolate/core';
import { CHANNEL_FD, readMessageSync, writeMessageSync, type GoMessage } from './channel';

// Where the init is, for the error report (the pipeline updates it as stages run).
let where: Position = {};

function main(): void {
  const sys = libcSys();
  // If the supervisor dies, so does the container.
  sys.prctl(PR.SET_PDEATHSIG, SIGNALS.SIGKILL);
  // The command must not inherit the channel; its closing at execve tells the supervisor.
  sys.fcntl(CHANNEL_FD, F.SETFD, FD_CLOEXEC);

  const go = readMessageSync<GoMessage>(CHANNEL_FD);
  if (!go) process.exit(EXIT.RUNTIME); // the supervisor went away before saying go

  const pipeline = new ContainerPipeline({
    sys,
    command: go.command,
    namespaces: go.namespaces,
    shared: go.shared,
    warn: (message) => writeMessageSync(CHANNEL_FD, { t: 'warn', message }),
  });
  where = pipeline.position;
  for (const s of go.stages) {
    pipeline.position.stage = s.name;
    pipeline.position.step = 'load';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const def = stageFromModule(require(s.module));
    if (!def) throw new IsolateError(`${s.module} does not export a stage`);
    def.container?.(pipeline.hooks, s.settings);
  }
  pipeline.position.stage = undefined;
  pipeline.hooks.credentials.intercept({
    // A change of user or group clears the parent-death signal: whatever the credential
    // stages did, arm it again before the filter and the command.
    done: () => sys.prctl(PR.SET_PDEATHSIG, SIGNALS.SIGKILL),
  });
  pipeline.hooks.exec.intercept({
    // Tell the supervisor the next thing is execve: after this, EOF means it succeeded.
    call: () => writeMessageSync(CHANNEL_FD, { t: 'exec' }),
  });
  pipeline.run();
  throw new IsolateError('no stage replaced the init with the command (is the exec stage in the profile?)');
}

try {
  main();
} catch (err) {
  const report: FailureReport = failureReport(err, where);
  try {
    writeMessageSync(CHANNEL_FD, { t: 'error', report });
  } catch {
    // the supervisor is gone; nobody to tell
  }
  process.exit(report.exitCode);
}
