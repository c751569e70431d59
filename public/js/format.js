// How numbers and characters are written on the page, in one place so every
// card shows the same figure the same way.

export function logValue(x) { return Math.pow(10, Number(x)); }
export function short(value, digits = 3) { return String(Number(value.toPrecision(digits))); }
export function fixed(value, digits) { return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits); }
/** Bytes as a person reads them: 312 kB, 10 MB (powers of 1000, as the limits are set). */
export function byteSize(bytes) {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${Number((bytes / 1000).toPrecision(3))} kB`;
  return `${Number((bytes / 1_000_000).toPrecision(3))} MB`;
}
export function integer(value) { return value === null || value === undefined ? '–' : Math.round(value).toLocaleString('en'); }
export function characterName(character) {
  if (character === null || character === undefined) return 'END';
  if (character === ' ') return '␣ space';
  if (character === '\t') return '⇥ tab';
  if (character === '\n') return '⏎ newline';
  return character;
}
