// The "Save and load" card: export the attached model as JSON (text and a
// download), and import one from the text box, a file or the pretrained
// model, then measure it on the input sentences.

import { api, ApiError } from './api.js';
import { PRETRAINED_URL } from './constants.js';
import { defaultCorpus } from './corpus.js';
import { attach } from './current-model.js';
import { $, setText } from './dom.js';
import { attempt, clearError, showError } from './errors.js';
import { fixed, integer } from './format.js';
import { refreshModels } from './model-list.js';
import { renderStats } from './model-view.js';

function safeFileName(name) {
  return (name || 'model').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'model';
}

export async function save(state) {
  if (!state.model) return;
  clearError();
  const model = state.model;
  await attempt(state, 'Saving the model', async () => {
    const text = await api('GET', `/api/models/${model.id}/export`, { asText: true });
    $('model-json').value = text;
    if (state.downloadURL) URL.revokeObjectURL(state.downloadURL);
    state.downloadURL = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const link = $('download');
    link.href = state.downloadURL;
    link.download = `${safeFileName(model.name)}.json`;
    link.hidden = false;
    setText('transfer-info', `Saved “${model.name}” at tick ${integer(model.ticks)}: ${integer(text.length)} characters of JSON. Keep the text or download the file.`);
  }, $('btn-save'));
}

async function importText(state, text, { action, name, evaluateOn } = {}) {
  clearError();
  let data;
  try {
    data = JSON.parse(text);
  } catch (error) {
    showError(`${action} failed: the text is not valid JSON (${error.message}).`);
    return;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    showError(`${action} failed: a model file is a JSON object with "model", "letterToIndex" and "indexToLetter".`);
    return;
  }
  let body = text;
  if (name && !data.name) {
    data.name = name;
    body = JSON.stringify(data);
  }
  const model = await api('POST', '/api/models/import', { raw: body });
  await attach(state, model.id, model);
  refreshModels(state);
  const sample = evaluateOn ?? $('corpus').value;
  if (sample.trim()) {
    const generation = state.generation;
    const evaluation = await api('POST', `/api/models/${model.id}/evaluate`, { body: { text: sample } });
    if (generation !== state.generation) return;
    state.evaluation = evaluation;
    renderStats(state);
    const skipped = evaluation.skipped ? `, ${integer(evaluation.skipped)} skipped for characters it does not know` : '';
    setText('transfer-info', `Loaded “${model.name}”. Perplexity on the input sentences: ${fixed(evaluation.perplexity, 2)} ` +
      `(${integer(evaluation.sentences)} sentences${skipped}).`);
  } else {
    setText('transfer-info', `Loaded “${model.name}”.`);
  }
}

export async function loadFromText(state) {
  const text = $('model-json').value;
  if (!text.trim()) {
    showError('Loading failed: paste a saved model into the box below “Save and load” first, or choose a file.');
    return;
  }
  await attempt(state, 'Loading the model', () => importText(state, text, { action: 'Loading the model' }), $('btn-load'));
}

export async function loadFile(state, event) {
  const file = event.target.files?.[0];
  event.target.value = '';
  if (!file) return;
  await attempt(state, 'Loading the file', async () => {
    const text = await file.text();
    $('model-json').value = text;
    await importText(state, text, { action: 'Loading the file', name: file.name.replace(/\.json$/i, '') });
  });
}

export async function loadPretrained(state) {
  await attempt(state, 'Loading the pretrained model', async () => {
    let response;
    try {
      response = await fetch(PRETRAINED_URL, { cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'network', 'the server cannot be reached');
    }
    if (!response.ok) {
      throw new Error(`the server has no pretrained model (${PRETRAINED_URL} answered ${response.status}); ` +
        'run scripts/train-pretrained to make it');
    }
    const text = await response.text();
    setText('transfer-info', 'Loading the pretrained model…');
    const corpus = await defaultCorpus(state);
    let data;
    try { data = JSON.parse(text); } catch (error) { throw new Error(`the pretrained file is not valid JSON (${error.message})`); }
    if (!data.name) data.name = 'pretrained LSTM 100';
    // With its training text the model can be trained further with Resume.
    if (data.text === undefined && data.sentences === undefined) data.text = corpus;
    await importText(state, JSON.stringify(data), { action: 'Loading the pretrained model', evaluateOn: corpus });
  }, $('btn-pretrained'));
}
