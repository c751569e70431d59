// The "text" mode of the input card: one continuous text (text-source.js
// brings it in) and the settings of `recurrent train --corpus text`, with the
// command line's defaults. Before training, the server's estimate of the
// memory the model needs (POST /api/models/estimate) is shown under them.

import { api } from './api.js';
import { $, setText } from './dom.js';
import { FIELD_LABELS, plainWords, showError } from './errors.js';
import { integer } from './format.js';
import { currentTemperature } from './sliders.js';
import { TEXT_LABELS, TEXT_NUMBERS as NUMBERS, textMode } from './text-fields.js';
import { byteSize, corpusLimit, describeText, listenForText, showLimit } from './text-source.js';

function setMode(mode) {
  $('input-card').dataset.mode = mode;
  setText('input-title', mode === 'text' ? 'Input text' : 'Input sentences');
}

/** The body of POST /api/models from the text form as `{ body }`, or
 * `{ problem, field }`: what is wrong, in a sentence, and the input to mark.
 * An estimate leaves out the sample temperature, which it does not need. */
function textBody(state, { forEstimate = false } = {}) {
  const text = $('text-corpus').value;
  const uploaded = state.upload?.corpus;
  if (state.upload && !uploaded) return { problem: 'The file is still uploading: start once it is on the server.', field: 'text-corpus' };
  if (!uploaded && !text.trim()) return { problem: 'Learning needs a text: drop a file on the box, choose one, or paste the text.', field: 'text-corpus' };
  const hidden = $('text-hidden').value.split(/[\s,;]+/).filter(Boolean).map(Number);
  if (!hidden.length || hidden.some((size) => !Number.isInteger(size))) {
    return { problem: 'Learning failed: check “Hidden sizes”: give whole numbers separated by commas, for example 128, 128.', field: 'text-hidden' };
  }
  const body = {
    corpus: 'text', ...(uploaded ? { corpus_id: uploaded.id } : { text }), generator: $('text-generator').value, hidden_sizes: hidden,
    optimizer: $('text-optimizer').value, lr_schedule: $('text-schedule').value, precision: $('text-precision').value,
  };
  if (!forEstimate) body.sample_temperature = currentTemperature();
  for (const [key, id] of NUMBERS) {
    const raw = $(id).value.trim();
    if (raw === '' && !$(id).validity.badInput) {
      if (key === 'max_ticks') body.max_ticks = null;
      continue;
    }
    const value = Number(raw);
    if ($(id).validity.badInput || !Number.isFinite(value)) {
      return { problem: `Learning failed: check “${FIELD_LABELS[key] ?? TEXT_LABELS[key]}”: it must be a number.`, field: id };
    }
    body[key] = value;
  }
  const name = $('text-name').value.trim();
  if (name) body.name = name;
  return { body };
}

/** The create body for Learn / restart, or null after showing what is wrong. */
export function readTextOptions(state) {
  const { body, problem, field } = textBody(state);
  if (body?.text !== undefined && new TextEncoder().encode(body.text).length > corpusLimit(state)) {
    showError(`Learning failed: the text is more than the ${byteSize(corpusLimit(state))} this server takes.`);
    $('text-corpus').setAttribute('aria-invalid', 'true');
    return null;
  }
  if (!body) {
    showError(problem);
    $(field).setAttribute('aria-invalid', 'true');
    return null;
  }
  return body;
}

function mebibytes(bytes) {
  const value = bytes / 1_048_576;
  return value >= 1024 ? `${Number((value / 1024).toPrecision(3))} GiB` : `${Number(value.toPrecision(3))} MiB`;
}

// The server's estimate of what the form would train; one request at a time,
// the latest form winning.
async function estimate(state) {
  const { body } = textBody(state, { forEstimate: true });
  if (body?.corpus_id !== undefined) {
    // The estimate reads a text in its body; an uploaded one is checked when training starts.
    setText('text-estimate', 'The server checks the memory this model needs, the uploaded text included, when training starts.');
    $('text-estimate').classList.remove('refusal');
    return;
  }
  if (!body || new TextEncoder().encode(body.text).length > corpusLimit(state)) {
    setText('text-estimate', '');
    return;
  }
  const asked = ++state.estimateRound;
  try {
    const answer = await api('POST', '/api/models/estimate', { body });
    if (asked !== state.estimateRound) return;
    const memory = `Training needs about ${mebibytes(answer.memory_bytes)} of memory on the server` +
      (answer.fits ? ` (the limit is ${mebibytes(answer.memory_budget_bytes)})`
        : `, more than its limit of ${mebibytes(answer.memory_budget_bytes)}: the server will refuse it. Use smaller hidden sizes, a smaller batch or shorter windows`);
    setText('text-estimate', `${memory}. ${integer(answer.parameter_count)} parameters, ${integer(answer.vocabulary_size)} characters in the vocabulary.`);
    $('text-estimate').classList.toggle('refusal', !answer.fits);
  } catch (error) {
    if (asked !== state.estimateRound) return;
    setText('text-estimate', plainWords(error, 'Estimating the memory'));
    $('text-estimate').classList.add('refusal');
  }
}

function estimateSoon(state) {
  clearTimeout(state.estimateTimer);
  state.estimateTimer = setTimeout(() => estimate(state), 400);
}

/** Copies a text model's settings into the text form, so Learn / restart
 * (with a text) starts a model like the one on screen. */
export function showTextShape(model) {
  const config = model.config ?? {};
  if (config.corpus !== 'text') return;
  const set = (id, value) => { if (value !== undefined && value !== null) $(id).value = String(value); };
  set('text-generator', config.generator);
  if (Array.isArray(config.hidden_sizes)) $('text-hidden').value = config.hidden_sizes.join(', ');
  set('text-letter', config.letter_size);
  set('text-batch', config.batch_size);
  set('text-window', config.seq_length);
  set('text-val-fraction', config.val_fraction);
  set('text-val-interval', config.val_interval);
  set('text-optimizer', config.optimizer);
  set('text-decay', config.lr_decay);
  set('text-dropout', config.dropout);
  set('text-schedule', config.lr_schedule);
  set('text-warmup', config.warmup_ticks);
  set('text-early-stop', config.early_stop);
  set('text-precision', config.precision);
  if (Number.isFinite(model.learning_rate)) $('text-lr').value = String(model.learning_rate);
}

// Reads the server's limits once; the page works on with the default if it cannot.
async function readLimits(state) {
  try {
    const health = await api('GET', '/api/health');
    if (health?.limits) state.limits = health.limits;
  } catch { /* the documented default stands */ }
  showLimit(state);
}

export function startTextMode(state) {
  for (const id of ['mode-sentences', 'mode-text']) {
    $(id).addEventListener('change', () => {
      setMode($(id).value);
      if (textMode()) { describeText(state); estimateSoon(state); }
    });
  }
  listenForText(state, () => estimateSoon(state));
  for (const input of $('text-options').querySelectorAll('input, select')) {
    input.addEventListener('input', () => {
      if (input.id === 'text-val-fraction') describeText(state);
      estimateSoon(state);
    });
  }
  setMode($('mode-text').checked ? 'text' : 'sentences');
  describeText(state);
  return readLimits(state);
}
