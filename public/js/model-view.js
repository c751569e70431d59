// The "Training stats" card for the attached model: its name, status, figures
// and details, and the buttons that depend on whether there is a model and
// what it is doing.

import { ACTIVE, RESUMABLE } from './constants.js';
import { $, setText } from './dom.js';
import { showError } from './errors.js';
import { fixed, integer, short } from './format.js';
import { renderGreedy } from './samples.js';

export function renderModel(state) {
  const model = state.model;
  if (!model) {
    setText('model-name', 'none yet');
    setText('model-status', 'no model');
    $('model-status').dataset.status = 'none';
    setText('model-details', '');
    for (const id of ['stat-ticks', 'stat-epoch', 'stat-perplexity', 'stat-median', 'stat-time', 'stat-rate']) setText(id, '–');
    updateControls(state);
    return;
  }
  if (model.status === 'failed' && ACTIVE.has(state.lastStatus)) {
    showError(`Training of “${model.name}” stopped: ${(model.error || 'the job failed').replace(/[.\s]+$/, '')}.`);
  }
  state.lastStatus = model.status;
  setText('model-name', model.name);
  setText('model-status', model.status);
  $('model-status').dataset.status = model.status;
  renderStats(state);
  const config = model.config ?? {};
  const parts = [];
  if (config.generator) {
    parts.push(`${config.generator.toUpperCase()} ${(config.hidden_sizes ?? []).join(' × ')}, letter size ${config.letter_size}`);
  }
  if (model.parameter_count !== undefined) parts.push(`${integer(model.parameter_count)} parameters`);
  if (model.vocabulary_size !== undefined) parts.push(`${model.vocabulary_size} characters`);
  if (config.corpus === 'text') {
    parts.push(`a text in ${integer(config.batch_size)} streams, windows of ${integer(config.seq_length)}, ` +
      `${Number((config.val_fraction * 100).toPrecision(3))}% held out`);
  } else if (model.sentence_count) parts.push(`${integer(model.sentence_count)} sentences`);
  else if (model.has_corpus === false) parts.push('no training text (load it with sentences to train further)');
  let details = parts.join(' · ');
  if (model.status === 'failed' && model.error) details += `. Training stopped: ${model.error}`;
  setText('model-details', details);
  if (document.activeElement !== $('lr-slider') && Number.isFinite(model.learning_rate)) {
    const x = Math.log10(model.learning_rate);
    $('lr-slider').value = String(x);
    setText('lr-value', short(model.learning_rate));
  }
  updateControls(state);
}

export function renderStats(state) {
  const model = state.model;
  if (!model) return;
  setText('stat-ticks', integer(model.ticks));
  setText('stat-epoch', fixed(model.epoch, 2));
  if (Number.isFinite(model.perplexity)) {
    setText('stat-perplexity', fixed(model.perplexity, 2));
  } else if (state.evaluation) {
    const note = document.createElement('span');
    note.className = 'note';
    note.textContent = 'on the input';
    $('stat-perplexity').replaceChildren(document.createTextNode(fixed(state.evaluation.perplexity, 2)), note);
  } else {
    setText('stat-perplexity', '–');
  }
  setText('stat-median', fixed(model.median_perplexity, 2));
  const rate = model.ticks_per_sec;
  setText('stat-rate', Number.isFinite(rate) && rate > 0 ? integer(rate) : '–');
  setText('stat-time', Number.isFinite(rate) && rate > 0 ? `${short(1000 / rate)} ms` : '–');
  if (model.greedy && !$('greedy').dataset.fresh) renderGreedy(model.greedy, false);
  // Keep the model's row in the list as current as the figures above.
  const row = $('model-rows').querySelector('tr.is-current');
  if (row) {
    row.querySelector('td.ticks').textContent = integer(model.ticks);
    row.querySelector('td.perplexity').textContent = fixed(model.median_perplexity ?? model.perplexity, 2);
    const badge = row.querySelector('.status');
    badge.textContent = model.status;
    badge.dataset.status = model.status;
  }
}

export function updateControls(state) {
  const model = state.model;
  const status = model?.status;
  $('btn-pause').disabled = !model || !ACTIVE.has(status);
  const canResume = model && RESUMABLE.has(status) && model.has_corpus !== false &&
    !(model.max_ticks !== null && model.max_ticks !== undefined && model.ticks >= model.max_ticks);
  $('btn-resume').disabled = !canResume;
  $('lr-slider').disabled = !model;
  $('btn-save').disabled = !model;
  $('btn-sample').disabled = !model;
  $('btn-continue').disabled = !model;
}
