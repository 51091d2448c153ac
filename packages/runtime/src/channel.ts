import * as fs from 'node:fs';
import type { FailureReport, InitStage } from '@isolate/core';
import type { NamespaceName } from '@isolate/sys';

/** The init's end of the private channel: the fd the supervisor passes as the 4th stdio. */
export const CHANNEL_FD = 3;

/** Supervisor -> init: everything the container side needs; sending it also means "go". */
export interface GoMessage {
  t: 'go';
  stages: InitStage[];
  command: string[];
  /** Namespaces the init was born into (pid, time). */
  namespaces: NamespaceName[];
  /** What host-side hooks shared with the container side (HostContext.share). */
  shared: Record<string, unknown>;
}

/** Init -> supervisor. EOF on the channel after `exec` means execve succeeded (close-on-exec). */
export type InitMessage =
  | { t: 'warn'; message: string }
  | { t: 'exec' }
  | { t: 'error'; report: FailureReport };

/** Reads one newline-terminated JSON message from `fd`, blocking; undefined at EOF. */
export function readMessageSync<T>(fd: number): T | undefined {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) return undefined;
    const nl = buf.indexOf(10, 0);
    chunks.push(Buffer.from(buf.subarray(0, n)));
    if (nl !== -1 && nl < n) break;
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

/** Writes one message to `fd`, blocking. */
export function writeMessageSync(fd: number, msg: InitMessage): void {
  fs.writeSync(fd, JSON.stringify(msg) + '\n');
}

/** Splits a stream of newline-delimited JSON into messages (supervisor side). */
export class MessageSplitter<T> {
  private pending = '';
  constructor(private readonly onMessage: (m: T) => void) {}
  push(data: Buffer | string): void {
    this.pending += data.toString();
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) !== -1) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      if (line.trim()) this.onMessage(JSON.parse(line) as T);
    }
  }
}
