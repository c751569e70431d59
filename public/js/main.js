// The character demo page, a client of the recurrent REST API (see /openapi.json).
// This module starts it: it creates the page's one state (state.js), hands it
// to each card's handlers, reads the default sentences and reopens the model
// the page showed last. The cards' code is in the other modules of js/.

import { ApiError } from './api.js';
import { drawCompare, listenForCompare } from './compare-runs.js';
import { STORAGE_MODEL, STORAGE_TOKEN } from './constants.js';
import { control, learn } from './controls.js';
import { corpusInfo, defaultCorpus } from './corpus.js';
import { attach, detach } from './current-model.js';
import { $, setText } from './dom.js';
import { attempt, clearError, showError } from './errors.js';
import { short } from './format.js';
import { scheduleDraw } from './graph.js';
import { downloadBest } from './loss-view.js';
import { modelAction, refreshModels } from './model-list.js';
import { renderModel } from './model-view.js';
import { checkedSampling, SAMPLING_INPUTS } from './sampling-options.js';
import { freshSamples } from './samples.js';
import { loadFile, loadFromText, loadPretrained, save } from './save-load.js';
import {
  applyLearningRate, applyTemperature, currentTemperature, learningRateMoved, sliderLearningRate, temperatureMoved,
} from './sliders.js';
import { drawLegend, heatTapped } from './surprisal.js';
import { startTextMode } from './text-mode.js';
import { continuePrefix, predictSoon } from './try-it.js';
import { createState } from './state.js';

// A changed advanced sampling setting: said at once when it is refused, and
// fresh samples once typing rests.
function samplingMoved(state) {
  clearTimeout(state.samplingTimer);
  if (!checkedSampling()) return;
  state.samplingTimer = setTimeout(() => attempt(state, 'Sampling', () => freshSamples(state)), 400);
}

function listen(state) {
  $('api-token').addEventListener('input', () => sessionStorage.setItem(STORAGE_TOKEN, $('api-token').value));
  $('error-close').addEventListener('click', clearError);
  $('btn-learn').addEventListener('click', () => learn(state));
  $('btn-pause').addEventListener('click', () => control(state, 'pause', 'Pausing'));
  $('btn-resume').addEventListener('click', () => control(state, 'resume', 'Resuming'));
  $('lr-slider').addEventListener('input', () => learningRateMoved(state));
  $('lr-slider').addEventListener('change', () => applyLearningRate(state));
  $('temp-slider').addEventListener('input', () => temperatureMoved(state));
  $('temp-slider').addEventListener('change', () => applyTemperature(state));
  $('btn-sample').addEventListener('click', () => attempt(state, 'Sampling', () => freshSamples(state), $('btn-sample')));
  $('btn-save').addEventListener('click', () => save(state));
  $('btn-load').addEventListener('click', () => loadFromText(state));
  $('file-input').addEventListener('change', (event) => loadFile(state, event));
  $('btn-pretrained').addEventListener('click', () => loadPretrained(state));
  $('btn-refresh').addEventListener('click', () => refreshModels(state));
  $('model-rows').addEventListener('click', (event) => modelAction(state, event));
  $('try-prefix').addEventListener('input', () => predictSoon(state));
  $('try-prefix').addEventListener('keydown', (event) => { if (event.key === 'Enter') continuePrefix(state); });
  $('btn-continue').addEventListener('click', () => continuePrefix(state));
  $('try-heat').addEventListener('click', heatTapped);
  for (const id of SAMPLING_INPUTS) $(id).addEventListener('input', () => samplingMoved(state));
  $('corpus').addEventListener('input', corpusInfo);
  window.addEventListener('resize', () => { scheduleDraw(state); drawCompare(state); });
  for (const id of ['loss-x-ticks', 'loss-x-time']) $(id).addEventListener('change', () => { scheduleDraw(state); drawCompare(state); });
  $('btn-best').addEventListener('click', () => downloadBest(state));
  $('opt-weights').addEventListener('change', () => attempt(state, 'Sampling', () => freshSamples(state)));
  listenForCompare(state);
}

// Reopens the model this browser showed last, unless the server no longer has it.
async function reopen(state) {
  const remembered = Number(localStorage.getItem(STORAGE_MODEL));
  if (!remembered) return;
  const known = state.modelList.find((model) => model.id === remembered);
  const gone = !known && state.modelList.length < 50;
  try {
    if (gone) throw new ApiError(404, 'model_not_found', `no model with id ${remembered}`, 'id');
    await attach(state, remembered, known);
  } catch (error) {
    if (error?.code === 'model_not_found') {
      localStorage.removeItem(STORAGE_MODEL);
      detach(state);
      renderModel(state);
      setText('models-info', 'The model this page showed before is no longer on the server.');
    } else {
      showError(error, 'Reopening the model');
    }
  }
}

async function start() {
  const state = createState();
  const token = sessionStorage.getItem(STORAGE_TOKEN);
  if (token) $('api-token').value = token;
  listen(state);
  setText('temp-value', short(currentTemperature()));
  setText('lr-value', short(sliderLearningRate()));
  renderModel(state);
  drawLegend();
  scheduleDraw(state);
  const limits = startTextMode(state);

  try {
    const text = await defaultCorpus(state);
    if (!$('corpus').value) $('corpus').value = text;
  } catch (error) {
    showError(error, 'Reading the default sentences');
  }
  corpusInfo();

  await limits;
  await refreshModels(state);
  await reopen(state);
  setInterval(() => refreshModels(state), 5000);
  document.body.dataset.ready = 'true';
}

start();
