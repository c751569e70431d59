// Which model the page shows: attach() makes a model the current one (its
// figures, graph, samples and live updates), detach() forgets the current one
// and clears what every card showed of it. Each attach bumps
// state.generation, so answers still under way for the old model are dropped.

import { api } from './api.js';
import { ACTIVE, STORAGE_MODEL, TRANSFER_HINT } from './constants.js';
import { $, setText } from './dom.js';
import { openStream, setLive, stopPolling } from './event-stream.js';
import { short } from './format.js';
import { loadMetrics, scheduleDraw } from './graph.js';
import { renderModelRows } from './model-list.js';
import { renderModel } from './model-view.js';
import { freshSamples } from './samples.js';
import { showTextShape } from './text-mode.js';
import { predictSoon } from './try-it.js';

export function detach(state) {
  state.generation += 1;
  state.stream?.abort();
  state.stream = null;
  clearTimeout(state.streamRetry);
  stopPolling(state);
  state.model = null;
  state.lastStatus = null;
  state.metrics = [];
  state.validations = new Map();
  state.lastStep = -1;
  state.sampleCursor = null;
  state.evaluation = null;
  delete $('greedy').dataset.fresh;
  $('sample-list').replaceChildren();
  setText('greedy', '');
  setText('samples-info', '');
  $('try-probs').replaceChildren();
  $('try-heat').replaceChildren();
  setText('heat-info', '');
  setText('try-prime', '');
  setText('try-rest', '');
  setText('try-info', '');
  $('download').hidden = true;
  $('download-best').hidden = true;
  setText('best-info', '');
  setText('transfer-info', TRANSFER_HINT);
  setLive('–');
  scheduleDraw(state);
}

// `known` is the model as an answer already showed it, to save a request.
export async function attach(state, id, known) {
  detach(state);
  const generation = state.generation;
  localStorage.setItem(STORAGE_MODEL, String(id));
  const model = known ?? await api('GET', `/api/models/${id}`);
  if (generation !== state.generation) return;
  state.model = model;
  const temperature = Math.log10(model.sample_temperature);
  if (Number.isFinite(temperature) && temperature >= -1 && temperature <= 1.05) {
    $('temp-slider').value = String(temperature);
    setText('temp-value', short(model.sample_temperature));
  }
  showShape(model);
  showTextShape(model);
  renderModel(state);
  renderModelRows(state, state.modelList);
  setText('samples-info', ACTIVE.has(model.status) ? 'Waiting for the first samples of the training job…' : '');
  await loadMetrics(state, generation);
  if (generation !== state.generation) return;
  openStream(state, generation);
  if (!ACTIVE.has(model.status)) await freshSamples(state);
  predictSoon(state);
}

/** Copies the model's shape and settings into the model options, so that
 * "Learn / restart" starts a model like the one on screen. */
function showShape(model) {
  const config = model.config ?? {};
  if (config.generator && $('opt-generator').querySelector(`option[value="${config.generator}"]`)) {
    $('opt-generator').value = config.generator;
  }
  if (Array.isArray(config.hidden_sizes)) $('opt-hidden').value = config.hidden_sizes.join(',');
  if (Number.isFinite(config.letter_size)) $('opt-letter').value = String(config.letter_size);
  if (Number.isFinite(config.regc)) $('opt-regc').value = String(config.regc);
  if (Number.isFinite(config.clipval)) $('opt-clip').value = String(config.clipval);
  if (Number.isFinite(model.learning_rate)) $('opt-lr').value = String(model.learning_rate);
}
