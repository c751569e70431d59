// The input card's buttons: Learn / restart (read the model options, or the
// text mode's, create a model and train it), Pause and Resume.

import { api } from './api.js';
import { ACTIVE } from './constants.js';
import { attach } from './current-model.js';
import { $ } from './dom.js';
import { attempt, clearError, FIELD_LABELS, showError } from './errors.js';
import { refreshModels } from './model-list.js';
import { renderModel } from './model-view.js';
import { freshSamples } from './samples.js';
import { currentTemperature } from './sliders.js';
import { textMode } from './text-fields.js';
import { readTextOptions } from './text-mode.js';

// The body of POST /api/models from the inputs, or null after showing what is wrong.
function readOptions() {
  const text = $('corpus').value;
  if (!text.trim()) {
    showError('Learning needs some sentences: type or paste at least one line into “Input sentences”.');
    $('corpus').setAttribute('aria-invalid', 'true');
    return null;
  }
  const hidden = $('opt-hidden').value.split(/[\s,;]+/).filter(Boolean).map(Number);
  if (!hidden.length || hidden.some((size) => !Number.isInteger(size))) {
    showError('Learning failed: check “Hidden sizes”: give whole numbers separated by commas, for example 20, 20.');
    $('opt-hidden').setAttribute('aria-invalid', 'true');
    return null;
  }
  const body = { text, generator: $('opt-generator').value, hidden_sizes: hidden, sample_temperature: currentTemperature() };
  const numbers = [['letter_size', 'opt-letter'], ['regc', 'opt-regc'], ['learning_rate', 'opt-lr'], ['clipval', 'opt-clip']];
  for (const [key, id] of numbers) {
    const raw = $(id).value.trim();
    if (raw === '' && !$(id).validity.badInput) continue;
    const value = Number(raw);
    if ($(id).validity.badInput || !Number.isFinite(value)) {
      showError(`Learning failed: check “${FIELD_LABELS[key]}”: it must be a number.`);
      $(id).setAttribute('aria-invalid', 'true');
      return null;
    }
    body[key] = value;
  }
  const name = $('opt-name').value.trim();
  if (name) body.name = name;
  return body;
}

export async function learn(state) {
  clearError();
  const body = textMode() ? readTextOptions(state) : readOptions();
  if (!body) return;
  await attempt(state, 'Learning', async () => {
    const previous = state.model;
    const model = await api('POST', '/api/models', { body });
    // The model this page was training gives its slot to the new one.
    if (previous && ACTIVE.has(previous.status)) {
      try { await api('POST', `/api/models/${previous.id}/pause`); } catch { /* it may have just stopped */ }
    }
    await attach(state, model.id, model);
    refreshModels(state);
  }, $('btn-learn'));
}

// Pause or resume the attached model (`verb` is the API's).
export async function control(state, verb, action) {
  if (!state.model) return;
  clearError();
  const generation = state.generation;
  await attempt(state, action, async () => {
    const model = await api('POST', `/api/models/${state.model.id}/${verb}`);
    if (generation !== state.generation) return;
    state.model = model;
    renderModel(state);
    refreshModels(state);
    if (verb === 'pause') await freshSamples(state);
  }, $(`btn-${verb}`));
}
