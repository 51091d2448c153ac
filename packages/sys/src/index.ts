export type { Sys, CapSets } from './sys';
export { libcSys } from './libc';
export {
  seccompResolve,
  seccompResolveArch,
  seccompActionValue,
  SECCOMP_ACTIONS,
  SECCOMP_CMP_OPS,
  type SeccompFilter,
  type SeccompRule,
  type SeccompArgCmp,
  type SeccompAction,
  type SeccompCmpOp,
} from './seccomp';
export { FakeSys, FakeExec, type RecordedCall } from './fake';
export { SysError, isSysError } from './errors';
export { errnoName, errnoNumber, errnoMessage } from './errno';
export * from './constants';
