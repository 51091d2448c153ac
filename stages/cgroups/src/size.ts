// Sizes in settings: an integer number of bytes, or a string such as "64M", "1.5G", "512k".

/** A byte count or a string with a binary unit (K, M, G, T; an optional trailing B or iB). */
export type Size = string | number;

export const SIZE_PATTERN = '^[0-9]+(\\.[0-9]+)?\\s*([kKmMgGtT]([iI]?[bB])?|[bB])?$';
const SIZE_RE = new RegExp(SIZE_PATTERN);
const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Bytes of `size`; throws on a malformed size (the schema refuses those first). */
export function parseSize(size: Size): number {
  if (typeof size === 'number') {
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`bad size ${size}: expected a non-negative integer`);
    return size;
  }
  const m = SIZE_RE.exec(size.trim());
  if (!m) throw new Error(`bad size '${size}': expected bytes or a number with K, M, G or T`);
  const unit = (m[2] ?? '').charAt(0).toLowerCase();
  const n = Math.floor(parseFloat(size) * UNITS[unit]!);
  if (!Number.isSafeInteger(n)) throw new Error(`size '${size}' is too large`);
  return n;
}

/** The shortest exact form: 67108864 -> "64M", 1000 -> "1000". */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}
