// Testing stages on their own: against the fake syscall layer (unit) and for real, in a
// container built from a profile (integration), plus checks that a run left nothing behind.
export { runStageUnit, runStageHost, settingsFor, type UnitRunOptions, type UnitRunResult, type HostRunOptions, type HostRunResult } from './unit';
export { runContainer, runCli, startCli, planOf, writeProfile, busyboxRootfs, ISOLATE_BIN, PROFILES_DIR, type ProfileSpec, type ContainerRun, type ContainerRunOptions, type CliRun, type CliOptions } from './real';
export { hostSnapshot, leftSince, leftAfterSettling, nothingLeftAfterAll, type HostSnapshot } from './leaks';
