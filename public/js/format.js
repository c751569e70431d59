// How numbers and characters are written on the page, in one place so every
// card shows the same figure the same way.

export function logValue(x) { return Math.pow(10, Number(x)); }
export function short(value, digits = 3) { return String(Number(value.toPrecision(digits))); }
export function fixed(value, digits) { return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits); }
export function integer(value) { return value === null || value === undefined ? '–' : Math.round(value).toLocaleString('en'); }
export function characterName(character) {
  if (character === null || character === undefined) return 'END';
  if (character === ' ') return '␣ space';
  if (character === '\t') return '⇥ tab';
  if (character === '\n') return '⏎ newline';
  return character;
}
