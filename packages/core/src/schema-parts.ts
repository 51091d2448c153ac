// Pieces of JSON Schema that stages share, so the same kind of value reads the same everywhere.

/** File modes are octal strings: YAML reads a bare 0755 as the decimal number 755. */
export const MODE_SCHEMA = {
  type: 'string',
  pattern: '^0?[0-7]{3,4}$',
  description: 'an octal mode as a string, e.g. "0755"',
} as const;

export const ABSOLUTE_PATH_SCHEMA = {
  type: 'string',
  pattern: '^/',
  description: 'an absolute path',
} as const;

/** Mount flags a profile may name for binds and tmpfs mounts. */
export const MOUNT_OPTION_NAMES = ['nosuid', 'nodev', 'noexec', 'noatime', 'nodiratime', 'relatime', 'strictatime', 'ro', 'rw'] as const;
export type MountOptionName = (typeof MOUNT_OPTION_NAMES)[number];

export function parseMode(mode: string): number {
  return parseInt(mode, 8);
}

/** A list of absolute paths in the container, each once, with `defaults`. */
export function pathListSchema(defaults: readonly string[], description: string): Record<string, unknown> {
  return { type: 'array', items: { type: 'string', pattern: '^/' }, uniqueItems: true, default: [...defaults], description };
}
