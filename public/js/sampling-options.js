// The "Advanced sampling" settings of the Samples card: top-p, min-p, the
// repetition penalty, a stop sequence and beam width. They are read from the
// inputs, checked with the API's own rules (see /openapi.json, `generate`),
// and turned into the fields of a `generate` body. A field at its default is
// not sent at all, so the defaults ask the server exactly what the page asked
// before these settings existed.

import { $, setText } from './dom.js';
import { short } from './format.js';

// The API's limits (GenerateSettings on the server).
const MAX_BEAM_WIDTH = 64;
const MAX_STOP_LENGTH = 100;
const POSITIVE = [1e-30, 1e30];

// Each setting: its input, its API field, how a person calls it, and the
// check that answers a refusal in the API's words (or null when it is fine).
const SETTINGS = [
  {
    input: 'opt-top-p', field: 'top_p', label: 'Top-p', fallback: 1,
    check: (x) => (x > 0 && x <= 1 ? null : `must be a number in (0, 1] (got ${x})`),
  },
  {
    input: 'opt-min-p', field: 'min_p', label: 'Min-p', fallback: 0,
    check: (x) => (x >= 0 && x <= 1 ? null : `must be a number in [0, 1] (got ${x})`),
  },
  {
    input: 'opt-penalty', field: 'repetition_penalty', label: 'Repetition penalty', fallback: 1,
    check: (x) => (x >= POSITIVE[0] && x <= POSITIVE[1] ? null : `must be a number in 1e-30...1e30 (got ${x})`),
  },
  {
    input: 'opt-beam', field: 'beam_width', label: 'Beam width', fallback: null,
    check: (x) => (Number.isInteger(x) && x >= 1 && x <= MAX_BEAM_WIDTH
      ? null : `must be a whole number in 1...${MAX_BEAM_WIDTH} (got ${x})`),
  },
];

// Where an API error's `field` points among these settings (for errors.js).
export const ADVANCED_INPUTS = Object.fromEntries(SETTINGS.map((s) => [s.field, s.input]).concat([['stop', 'opt-stop']]));
export const ADVANCED_LABELS = Object.fromEntries(SETTINGS.map((s) => [s.field, s.label]).concat([['stop', 'Stop at']]));

// A number input's value: null when empty, NaN when it is not a number.
function numberIn(id) {
  const raw = $(id).value.trim();
  return raw === '' ? null : Number(raw);
}

/** The settings as `generate` fields, or `{ refusal, input }` naming the
 * first bad one in plain words. Empty inputs take their defaults. */
export function readSampling() {
  const fields = {};
  for (const setting of SETTINGS) {
    const value = numberIn(setting.input);
    if (value === null || value === setting.fallback) continue;
    const problem = Number.isFinite(value) ? setting.check(value) : `must be a number (got “${$(setting.input).value.trim()}”)`;
    if (problem) return { refusal: `${setting.label} ${problem}.`, input: setting.input };
    fields[setting.field] = value;
  }
  const stop = $('opt-stop').value;
  if (stop !== '') {
    const length = Array.from(stop).length;
    if (length > MAX_STOP_LENGTH) {
      return { refusal: `Stop at must have 1 to ${MAX_STOP_LENGTH} characters (got ${length}).`, input: 'opt-stop' };
    }
    fields.stop = [stop];
  }
  return { fields };
}

/** Marks the bad setting and says why in the card, or clears both. Answers
 * the fields when every setting is fine, else null. */
export function checkedSampling() {
  for (const setting of SETTINGS) $(setting.input).removeAttribute('aria-invalid');
  $('opt-stop').removeAttribute('aria-invalid');
  const read = readSampling();
  if (read.refusal) {
    $(read.input).setAttribute('aria-invalid', 'true');
    $('advanced').open = true;
    setText('advanced-info', read.refusal);
    return null;
  }
  setText('advanced-info', '');
  return read.fields;
}

/** Whether any setting differs from its default (then the page asks for its
 * own samples instead of showing the training job's). */
export function samplingChanged() {
  const read = readSampling();
  return Boolean(read.refusal) || Object.keys(read.fields).length > 0;
}

/** The settings in words, for the samples' caption; '' for the defaults. */
export function describe(fields) {
  if (fields.beam_width !== undefined) {
    return `Beam search of width ${fields.beam_width}: the most probable texts it finds, best first ` +
      '(temperature, top-p, min-p and the repetition penalty do not apply)' +
      (fields.stop ? `, each ending before “${fields.stop[0]}”.` : '.');
  }
  const parts = [];
  if (fields.top_p !== undefined) parts.push(`top-p ${short(fields.top_p)}`);
  if (fields.min_p !== undefined) parts.push(`min-p ${short(fields.min_p)}`);
  if (fields.repetition_penalty !== undefined) parts.push(`repetition penalty ${short(fields.repetition_penalty)}`);
  if (fields.stop) parts.push(`stopping before “${fields.stop[0]}”`);
  return parts.length ? `Sampling with ${parts.join(', ')}.` : '';
}

/** The ids of the inputs, for main.js to listen to. */
export const SAMPLING_INPUTS = SETTINGS.map((s) => s.input).concat(['opt-stop']);
