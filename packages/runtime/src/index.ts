export { start, run, type StartOptions, type RunResult, type Container } from './supervisor';
export { CHANNEL_FD, type GoMessage, type InitMessage } from './channel';
