export { start, run, type StartOptions, type RunResult, type Container } from './supervisor';
export { spawnInit, discardInit, type InitProcess, type Stdio, type StdioSpec } from './spawn';
export { CHANNEL_FD, type GoMessage, type InitMessage } from './channel';
