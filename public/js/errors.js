// Failures in plain words: the banner at the top of the page, the input an
// API error's `field` points at, and attempt(), which runs an action and shows
// its failure instead of throwing it.

import { ApiError } from './api.js';
import { $ } from './dom.js';
import { updateControls } from './model-view.js';
import { ADVANCED_INPUTS, ADVANCED_LABELS } from './sampling-options.js';
import { TEXT_INPUTS, TEXT_LABELS, textMode } from './text-fields.js';

// Where an API error's `field` points on this page.
const FIELD_INPUTS = {
  text: 'corpus', sentences: 'corpus', generator: 'opt-generator', hidden_sizes: 'opt-hidden',
  letter_size: 'opt-letter', regc: 'opt-regc', learning_rate: 'opt-lr', clipval: 'opt-clip', name: 'opt-name',
  prime: 'try-prefix', context: 'try-prefix', ...ADVANCED_INPUTS,
};
export const FIELD_LABELS = {
  text: 'Input sentences', sentences: 'Input sentences', generator: 'Generator', hidden_sizes: 'Hidden sizes',
  letter_size: 'Letter size', regc: 'regc', learning_rate: 'Learning rate', clipval: 'Clip value', name: 'Name',
  prime: 'Try it', context: 'Try it', id: 'Model', weights: 'Sample from', ...ADVANCED_LABELS, ...TEXT_LABELS,
};

// An error as a sentence a person can act on.
export function plainWords(error, action) {
  if (!(error instanceof ApiError)) return `${action} failed: ${error?.message ?? error}.`;
  let message = error.message.replace(/[.\s]+$/, '');
  const field = error.field ?? '';
  const base = field.replace(/\[.*$/, '');
  const label = base === 'text' && textMode() ? 'Input text' : FIELD_LABELS[base];
  const where = label ? `check “${label}”: ` : '';
  if (where && field && message.startsWith(`${field} `)) {
    // "hidden_sizes[0] must be …" reads better as "layer 1 must be …".
    const index = /\[(\d+)\]$/.exec(field);
    message = (index && base === 'hidden_sizes' ? `layer ${Number(index[1]) + 1} ` : '') + message.slice(field.length + 1);
  }
  if (error.status === 0) return `${action} failed: the server cannot be reached. Check that it is running, then try again.`;
  if (error.status === 401 || error.status === 403) {
    return `${action} failed: the server needs a valid API token. Enter it under “API token” at the top of the page (${message}).`;
  }
  if (error.code === 'model_not_found') return `${action} failed: that model is no longer on the server.`;
  if (error.status === 404) return `${action} failed: the server does not know this address (${message}).`;
  if (error.status === 409) return `${action} is not possible right now: ${message}.`;
  if (error.status === 413) return `${action} failed: that is too large for the server (${message}).`;
  if (error.status >= 500) return `${action} failed because of a problem on the server: ${message}.`;
  return `${action} failed: ${where}${message}.`;
}

export function showError(error, action) {
  const text = typeof error === 'string' ? error : plainWords(error, action);
  $('error-text').textContent = text;
  $('error').hidden = false;
  const base = (error instanceof ApiError ? error.field ?? '' : '').replace(/\[.*$/, '');
  // The text form has inputs of its own for the fields both forms have.
  const id = textMode() && TEXT_INPUTS[base] ? TEXT_INPUTS[base] : FIELD_INPUTS[base];
  const input = id && $(id);
  if (input) input.setAttribute('aria-invalid', 'true');
  const box = $('error').getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) $('error').scrollIntoView({ block: 'nearest' });
}

export function clearError() {
  $('error').hidden = true;
  $('error-text').textContent = '';
  for (const input of document.querySelectorAll('[aria-invalid="true"]')) input.removeAttribute('aria-invalid');
}

// Runs an action, showing its failure in plain words; answers undefined on failure.
// The buttons are brought up to date afterwards, as the action may have changed the model.
export async function attempt(state, action, work, button) {
  if (button) button.disabled = true;
  try {
    return await work();
  } catch (error) {
    if (error?.name === 'AbortError') return undefined;
    showError(error, action);
    return undefined;
  } finally {
    if (button) button.disabled = false;
    updateControls(state);
  }
}
