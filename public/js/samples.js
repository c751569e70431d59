// The "Samples" card: samples the training job recorded, and fresh ones from
// the current weights (or, for a text model, the best ones) at the page's
// temperature and advanced sampling settings (sampling-options.js), plus the
// greedy prediction.

import { api } from './api.js';
import { SAMPLE_COUNT, SAMPLE_LENGTH } from './constants.js';
import { $, setText } from './dom.js';
import { integer, short } from './format.js';
import { checkedSampling, describe, samplingChanged } from './sampling-options.js';
import { currentTemperature } from './sliders.js';

export function renderSamples(texts, caption) {
  const list = $('sample-list');
  const items = texts.map((text) => {
    const item = document.createElement('li');
    item.className = 'sample';
    if (text === '') {
      item.classList.add('empty');
      item.textContent = '(empty: the model ended the sentence at once)';
    } else {
      item.textContent = text;
    }
    return item;
  });
  list.replaceChildren(...items);
  setText('samples-info', caption);
}

// `fresh` marks the greedy line as newer than the model's own greedy field.
export function renderGreedy(text, fresh) {
  const greedy = $('greedy');
  greedy.textContent = text === '' ? '(empty)' : text;
  if (fresh) greedy.dataset.fresh = '1';
}

// Samples recorded by the training job (SSE `samples` event or GET .../samples).
// The job samples with the plain settings, so while the advanced ones differ
// the page asks for its own samples each time the job records some.
export function showRecorded(state, recorded) {
  if (!recorded.length) return;
  if (samplingChanged() || fromBest(state)) {
    if (!state.samplesBusy) freshSamples(state).catch(() => { /* the next recording tries again */ });
    return;
  }
  const step = Math.max(...recorded.map((entry) => entry.step));
  const entries = recorded.filter((entry) => entry.step === step);
  const samples = entries.filter((entry) => entry.kind === 'sample');
  const greedy = entries.filter((entry) => entry.kind === 'greedy').pop();
  if (samples.length) {
    const last = samples.slice(-SAMPLE_COUNT);
    const temperature = last[last.length - 1].temperature;
    renderSamples(last.map((entry) => entry.text),
      `Recorded by the training job at tick ${integer(last[last.length - 1].step)}` +
      (Number.isFinite(temperature) ? `, temperature ${short(temperature)}.` : '.'));
  }
  if (greedy) renderGreedy(greedy.text, true);
}

/** The body of a `generate` call for `count` samples with the page's
 * settings, or null when an advanced setting is refused (the card says why).
 * A beam search gives at most beam_width texts. */
export function sampleRequest(count) {
  const fields = checkedSampling();
  if (!fields) return null;
  const wanted = fields.beam_width === undefined ? count : Math.min(count, fields.beam_width);
  return { count: wanted, temperature: currentTemperature(), max_length: SAMPLE_LENGTH, ...fields };
}

// Whether samples are asked of the best weights (a choice shown only for a
// model that has them); the job records its samples from the current ones.
function fromBest(state) {
  return $('opt-weights').value === 'best' && Number.isFinite(state.model?.best_step);
}

// Fresh samples from the chosen weights at the page's settings.
export async function freshSamples(state) {
  const model = state.model;
  if (!model) return;
  const body = sampleRequest(SAMPLE_COUNT);
  if (!body) return;
  const best = fromBest(state);
  if (best) body.weights = 'best';
  const generation = state.generation;
  const path = `/api/models/${model.id}/generate`;
  state.samplesBusy = true;
  try {
    const [samples, greedy] = await Promise.all([
      api('POST', path, { body }),
      api('POST', path, { body: { count: 1, greedy: true, max_length: SAMPLE_LENGTH, ...(best ? { weights: 'best' } : {}) } }),
    ]);
    if (generation !== state.generation) return;
    const settings = describe(body);
    renderSamples(samples.samples.map((entry) => entry.text), body.beam_width !== undefined ? settings
      : `Generated from the ${best ? `best weights (tick ${integer(model.best_step)})` : 'current weights'} at temperature ${short(body.temperature)}.${settings ? ` ${settings}` : ''}`);
    renderGreedy(greedy.samples[0]?.text ?? '', true);
  } finally {
    state.samplesBusy = false;
  }
}
