// The learning-rate and temperature sliders (both on a log10 scale): their
// values, and sending a moved slider's value to the server once it rests.

import { api } from './api.js';
import { $, setText } from './dom.js';
import { attempt } from './errors.js';
import { logValue, short } from './format.js';
import { freshSamples } from './samples.js';

export function currentTemperature() { return Number(short(logValue($('temp-slider').value))); }
export function sliderLearningRate() { return logValue($('lr-slider').value); }

// Runs `send` for the latest wanted value, one request at a time, so that
// answers cannot arrive out of order while a slider moves. `queue` (in the
// state) remembers whether a request is under way and what is wanted next.
async function sendLatest(queue, value, send) {
  queue.wanted = value;
  queue.pending = true;
  if (queue.busy) return;
  queue.busy = true;
  try {
    while (queue.pending) {
      queue.pending = false;
      await send(queue.wanted, () => !queue.pending);
    }
  } finally {
    queue.busy = false;
  }
}

export function learningRateMoved(state) {
  setText('lr-value', short(sliderLearningRate()));
  clearTimeout(state.learningRateTimer);
  state.learningRateTimer = setTimeout(() => applyLearningRate(state), 250);
}

function sendLearningRate(state, learningRate) {
  return sendLatest(state.learningRateQueue, learningRate, async (wanted, isLatest) => {
    const model = state.model;
    if (!model) return;
    await attempt(state, 'Changing the learning rate', async () => {
      const answer = await api('PATCH', `/api/models/${model.id}`, { body: { learning_rate: wanted } });
      if (state.model === model && isLatest()) model.learning_rate = answer.learning_rate;
    });
  });
}

export function applyLearningRate(state) {
  clearTimeout(state.learningRateTimer);
  if (state.model) sendLearningRate(state, sliderLearningRate());
}

export function temperatureMoved(state) {
  setText('temp-value', short(currentTemperature()));
  clearTimeout(state.temperatureTimer);
  state.temperatureTimer = setTimeout(() => applyTemperature(state), 250);
}

function sendTemperature(state, temperature) {
  return sendLatest(state.temperatureQueue, temperature, async (wanted, isLatest) => {
    const model = state.model;
    if (!model) return;
    await attempt(state, 'Changing the temperature', async () => {
      await api('PATCH', `/api/models/${model.id}`, { body: { sample_temperature: wanted } });
      if (state.model !== model || !isLatest()) return;
      model.sample_temperature = wanted;
      await freshSamples(state);
    });
  });
}

export function applyTemperature(state) {
  clearTimeout(state.temperatureTimer);
  if (state.model) sendTemperature(state, currentTemperature());
}
