/** A namespaced debug logger (`DEBUG=isolate:*`). */
export type Logger = (format: string, ...args: unknown[]) => void;

const noop: Logger = () => undefined;

/**
 * The `debug` logger for `namespace`, or a no-op when DEBUG is not set: loading `debug`
 * costs a few milliseconds that the start of every container would otherwise pay.
 */
export function logger(namespace: string): Logger {
  if (!process.env.DEBUG) return noop;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const createDebug = require('debug') as typeof import('debug');
  return createDebug(namespace);
}
