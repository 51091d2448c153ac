export type { Sys, CapSets } from './sys';
export { libcSys } from './libc';
export { FakeSys, FakeExec, type RecordedCall } from './fake';
export { SysError, isSysError } from './errors';
export { errnoName, errnoNumber, errnoMessage } from './errno';
export * from './constants';
