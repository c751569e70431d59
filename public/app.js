// The character demo page: a client of the recurrent REST API (see /openapi.json).
//
// Everything that comes from a model or a person is put into the page as text
// (textContent, createTextNode), never as HTML.

const $ = (id) => document.getElementById(id);

const STORAGE_MODEL = 'recurrent.currentModel';
const STORAGE_TOKEN = 'recurrent.apiToken';
const PRETRAINED_URL = 'pretrained/lstm-100.json';
const DEFAULT_CORPUS_URL = 'default-corpus.txt';
const SAMPLE_COUNT = 5;
const SAMPLE_LENGTH = 100;
const POLL_MS = 1000;
const STREAM_RETRY_MS = 10000;
const TRANSFER_HINT = 'The pretrained model is an LSTM with one layer of 100 units that this project trained on its default corpus.';
// `?updates=poll` skips the event stream (for proxies that buffer it, and for tests).
const POLL_ONLY = new URLSearchParams(location.search).get('updates') === 'poll';

// Where an API error's `field` points on this page.
const FIELD_INPUTS = {
  text: 'corpus', sentences: 'corpus', generator: 'opt-generator', hidden_sizes: 'opt-hidden',
  letter_size: 'opt-letter', regc: 'opt-regc', learning_rate: 'opt-lr', clipval: 'opt-clip', name: 'opt-name',
  prime: 'try-prefix', context: 'try-prefix',
};
const FIELD_LABELS = {
  text: 'Input sentences', sentences: 'Input sentences', generator: 'Generator', hidden_sizes: 'Hidden sizes',
  letter_size: 'Letter size', regc: 'regc', learning_rate: 'Learning rate', clipval: 'Clip value', name: 'Name',
  prime: 'Try it', context: 'Try it', id: 'Model',
};
const ACTIVE = new Set(['running', 'queued']);
const RESUMABLE = new Set(['idle', 'paused', 'failed', 'succeeded']);

const state = {
  generation: 0,        // bumps on every attach, so late answers for an old model are dropped
  model: null,          // the attached model, as GET /api/models/{id} shows it
  metrics: [],          // [{step, median_perplexity}]
  lastStep: -1,
  sampleCursor: null,   // samples id cursor for polling; null until known
  stream: null,         // AbortController of the event stream
  streamRetry: null,
  pollTimer: null,
  defaultCorpus: null,
  evaluation: null,     // perplexity of a loaded model on the input sentences
  lastStatus: null,     // the shown model's status when last drawn (to notice a failure)
  downloadURL: null,
};

// ---------------------------------------------------------------------------
// API

class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field ?? null;
  }
}

function authHeaders() {
  const token = $('api-token').value.trim();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// Calls the API; answers the parsed JSON (or text with `asText`), throws ApiError.
async function api(method, path, { body, raw, asText = false, signal } = {}) {
  const headers = authHeaders();
  let payload;
  if (raw !== undefined) {
    payload = raw;
    headers['Content-Type'] = 'application/json';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, signal, cache: 'no-store' });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, 'network', 'the server cannot be reached');
  }
  const text = await response.text();
  if (!response.ok) {
    let envelope = null;
    try { envelope = JSON.parse(text).error; } catch { /* not JSON */ }
    throw new ApiError(response.status, envelope?.code ?? `http_${response.status}`,
      envelope?.message ?? (text.trim() || response.statusText || `status ${response.status}`), envelope?.field);
  }
  if (asText) return text;
  return text ? JSON.parse(text) : null;
}

// An error as a sentence a person can act on.
function plainWords(error, action) {
  if (!(error instanceof ApiError)) return `${action} failed: ${error?.message ?? error}.`;
  let message = error.message.replace(/[.\s]+$/, '');
  const field = error.field ?? '';
  const base = field.replace(/\[.*$/, '');
  const where = FIELD_LABELS[base] ? `check “${FIELD_LABELS[base]}”: ` : '';
  if (where && field && message.startsWith(`${field} `)) {
    // "hidden_sizes[0] must be …" reads better as "layer 1 must be …".
    const index = /\[(\d+)\]$/.exec(field);
    message = (index ? `layer ${Number(index[1]) + 1} ` : '') + message.slice(field.length + 1);
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

function showError(error, action) {
  const text = typeof error === 'string' ? error : plainWords(error, action);
  $('error-text').textContent = text;
  $('error').hidden = false;
  const base = (error instanceof ApiError ? error.field ?? '' : '').replace(/\[.*$/, '');
  const input = FIELD_INPUTS[base] && $(FIELD_INPUTS[base]);
  if (input) input.setAttribute('aria-invalid', 'true');
  const box = $('error').getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) $('error').scrollIntoView({ block: 'nearest' });
}

function clearError() {
  $('error').hidden = true;
  $('error-text').textContent = '';
  for (const input of document.querySelectorAll('[aria-invalid="true"]')) input.removeAttribute('aria-invalid');
}

// Runs an action, showing its failure in plain words; answers undefined on failure.
async function attempt(action, work, button) {
  if (button) button.disabled = true;
  try {
    return await work();
  } catch (error) {
    if (error?.name === 'AbortError') return undefined;
    showError(error, action);
    return undefined;
  } finally {
    if (button) button.disabled = false;
    updateControls();
  }
}

// ---------------------------------------------------------------------------
// Formatting

function logValue(x) { return Math.pow(10, Number(x)); }
function short(value, digits = 3) { return String(Number(value.toPrecision(digits))); }
function fixed(value, digits) { return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits); }
function integer(value) { return value === null || value === undefined ? '–' : Math.round(value).toLocaleString('en'); }
function characterName(character) {
  if (character === null || character === undefined) return 'END';
  if (character === ' ') return '␣ space';
  if (character === '\t') return '⇥ tab';
  if (character === '\n') return '⏎ newline';
  return character;
}

// ---------------------------------------------------------------------------
// Rendering the attached model

function setText(id, text) { $(id).textContent = text; }

function renderModel() {
  const model = state.model;
  if (!model) {
    setText('model-name', 'none yet');
    setText('model-status', 'no model');
    $('model-status').dataset.status = 'none';
    setText('model-details', '');
    for (const id of ['stat-ticks', 'stat-epoch', 'stat-perplexity', 'stat-median', 'stat-time', 'stat-rate']) setText(id, '–');
    updateControls();
    return;
  }
  if (model.status === 'failed' && ACTIVE.has(state.lastStatus)) {
    showError(`Training of “${model.name}” stopped: ${(model.error || 'the job failed').replace(/[.\s]+$/, '')}.`);
  }
  state.lastStatus = model.status;
  setText('model-name', model.name);
  setText('model-status', model.status);
  $('model-status').dataset.status = model.status;
  renderStats();
  const config = model.config ?? {};
  const parts = [];
  if (config.generator) {
    parts.push(`${config.generator.toUpperCase()} ${(config.hidden_sizes ?? []).join(' × ')}, letter size ${config.letter_size}`);
  }
  if (model.parameter_count !== undefined) parts.push(`${integer(model.parameter_count)} parameters`);
  if (model.vocabulary_size !== undefined) parts.push(`${model.vocabulary_size} characters`);
  if (model.sentence_count) parts.push(`${integer(model.sentence_count)} sentences`);
  else if (model.has_corpus === false) parts.push('no training text (load it with sentences to train further)');
  let details = parts.join(' · ');
  if (model.status === 'failed' && model.error) details += `. Training stopped: ${model.error}`;
  setText('model-details', details);
  if (document.activeElement !== $('lr-slider') && Number.isFinite(model.learning_rate)) {
    const x = Math.log10(model.learning_rate);
    $('lr-slider').value = String(x);
    setText('lr-value', short(model.learning_rate));
  }
  updateControls();
}

function renderStats() {
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

function updateControls() {
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

function renderSamples(texts, caption) {
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

function renderGreedy(text, fresh) {
  const greedy = $('greedy');
  greedy.textContent = text === '' ? '(empty)' : text;
  if (fresh) greedy.dataset.fresh = '1';
}

// Samples recorded by the training job (SSE `samples` event or GET .../samples).
function showRecorded(recorded) {
  if (!recorded.length) return;
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

// Fresh samples from the current weights at the page's temperature.
async function freshSamples() {
  const model = state.model;
  if (!model) return;
  const generation = state.generation;
  const temperature = currentTemperature();
  const path = `/api/models/${model.id}/generate`;
  const [samples, greedy] = await Promise.all([
    api('POST', path, { body: { count: SAMPLE_COUNT, temperature, max_length: SAMPLE_LENGTH } }),
    api('POST', path, { body: { count: 1, greedy: true, max_length: SAMPLE_LENGTH } }),
  ]);
  if (generation !== state.generation) return;
  renderSamples(samples.samples.map((entry) => entry.text),
    `Generated from the current weights at temperature ${short(temperature)}.`);
  renderGreedy(greedy.samples[0]?.text ?? '', true);
}

// ---------------------------------------------------------------------------
// The perplexity graph

let drawPending = false;
function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => { drawPending = false; drawGraph(); });
}

function niceStep(range, count) {
  const raw = range / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

function tickLabel(value) {
  if (Math.abs(value) >= 10000) return `${short(value / 1000, 4)}k`;
  return short(value, 4);
}

function drawGraph() {
  const canvas = $('graph');
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (!width || !height) return;
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const context = canvas.getContext('2d');
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  const style = getComputedStyle(document.documentElement);
  const ink = style.getPropertyValue('--ink').trim() || '#222';
  const muted = style.getPropertyValue('--muted').trim() || '#777';
  const grid = style.getPropertyValue('--grid').trim() || '#e4e4e4';
  const accent = style.getPropertyValue('--accent').trim() || '#1565c0';
  context.font = '12px system-ui, sans-serif';
  const left = 52, right = 14, top = 12, bottom = 38;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const points = state.metrics;
  setText('graph-count', String(points.length));

  const xMax = Math.max(100, points.length ? points[points.length - 1].step : 100);
  let yMin = Infinity, yMax = -Infinity;
  for (const point of points) {
    yMin = Math.min(yMin, point.median_perplexity);
    yMax = Math.max(yMax, point.median_perplexity);
  }
  if (!points.length) { yMin = 0; yMax = 10; }
  if (yMax - yMin < 1e-9) { yMin -= 0.5; yMax += 0.5; }
  const yStep = niceStep(yMax - yMin, 5);
  yMin = Math.max(0, Math.floor(yMin / yStep) * yStep);
  yMax = Math.ceil(yMax / yStep) * yStep;
  const xStep = niceStep(xMax, Math.max(2, Math.floor(plotWidth / 90)));
  const px = (x) => left + (x / xMax) * plotWidth;
  const py = (y) => top + plotHeight - ((y - yMin) / (yMax - yMin)) * plotHeight;

  // Grid and tick labels.
  context.strokeStyle = grid;
  context.fillStyle = muted;
  context.lineWidth = 1;
  context.textAlign = 'right';
  context.textBaseline = 'middle';
  for (let y = yMin; y <= yMax + yStep / 2; y += yStep) {
    context.beginPath();
    context.moveTo(left, Math.round(py(y)) + 0.5);
    context.lineTo(left + plotWidth, Math.round(py(y)) + 0.5);
    context.stroke();
    context.fillText(tickLabel(y), left - 6, py(y));
  }
  context.textAlign = 'center';
  context.textBaseline = 'top';
  for (let x = 0; x <= xMax + xStep / 2; x += xStep) {
    if (x > xMax) break;
    context.beginPath();
    context.moveTo(Math.round(px(x)) + 0.5, top);
    context.lineTo(Math.round(px(x)) + 0.5, top + plotHeight);
    context.stroke();
    context.fillText(tickLabel(x), px(x), top + plotHeight + 5);
  }
  // Axes and their titles.
  context.strokeStyle = ink;
  context.beginPath();
  context.moveTo(left + 0.5, top);
  context.lineTo(left + 0.5, top + plotHeight + 0.5);
  context.lineTo(left + plotWidth, top + plotHeight + 0.5);
  context.stroke();
  context.fillStyle = ink;
  context.fillText('ticks', left + plotWidth / 2, top + plotHeight + 21);
  context.save();
  context.translate(12, top + plotHeight / 2);
  context.rotate(-Math.PI / 2);
  context.textBaseline = 'middle';
  context.fillText('perplexity', 0, 0);
  context.restore();

  if (!points.length) {
    context.fillStyle = muted;
    context.textBaseline = 'middle';
    context.fillText(state.model ? 'A point is added every 100 ticks of training.' : 'Start learning to see the perplexity fall.',
      left + plotWidth / 2, top + plotHeight / 2);
    return;
  }
  context.strokeStyle = accent;
  context.lineWidth = 1.75;
  context.lineJoin = 'round';
  context.beginPath();
  points.forEach((point, index) => {
    const x = px(point.step), y = py(point.median_perplexity);
    if (index === 0) context.moveTo(x, y); else context.lineTo(x, y);
  });
  context.stroke();
  if (points.length <= 60) {
    context.fillStyle = accent;
    for (const point of points) {
      context.beginPath();
      context.arc(px(point.step), py(point.median_perplexity), 2.5, 0, Math.PI * 2);
      context.fill();
    }
  }
}

function addMetric(point) {
  if (!Number.isFinite(point.step) || point.step <= state.lastStep) return;
  state.metrics.push({ step: point.step, median_perplexity: point.median_perplexity });
  state.lastStep = point.step;
  scheduleDraw();
}

async function loadMetrics(generation) {
  const id = state.model.id;
  for (;;) {
    const page = await api('GET', `/api/models/${id}/metrics?after_step=${state.lastStep}&limit=1000`);
    if (generation !== state.generation) return;
    for (const point of page.metrics) addMetric(point);
    if (page.next_after_step === null || page.next_after_step === undefined || !page.metrics.length) return;
  }
}

// ---------------------------------------------------------------------------
// Live updates: the SSE endpoint, read with fetch so the token header can be
// sent; polling when the stream cannot be had.

function setLive(text) { setText('live-mode', `Updates: ${text}`); }

let statsPending = false;
function scheduleStats() {
  if (statsPending) return;
  statsPending = true;
  setTimeout(() => { statsPending = false; renderStats(); }, 150);
}

let refreshPending = null;
function scheduleRefresh(delay = 100) {
  clearTimeout(refreshPending);
  const generation = state.generation;
  refreshPending = setTimeout(() => {
    if (generation !== state.generation || !state.model) return;
    attempt('Reading the model', async () => {
      const model = await api('GET', `/api/models/${state.model.id}`);
      if (generation !== state.generation) return;
      state.model = model;
      renderModel();
      refreshModels();
    });
  }, delay);
}

function handleEvent(name, data, generation) {
  if (generation !== state.generation || !state.model) return;
  let payload;
  try { payload = JSON.parse(data); } catch { return; }
  if (payload.id !== undefined && payload.id !== state.model.id) return;
  switch (name) {
    case 'status':
      if (payload.config) {
        state.model = payload;
        renderModel();
      } else {
        state.model.status = payload.status;
        if (payload.error) state.model.error = payload.error;
        renderModel();
        scheduleRefresh();
      }
      break;
    case 'progress':
      for (const key of ['ticks', 'epoch', 'perplexity', 'median_perplexity', 'ticks_per_sec', 'chars_per_sec', 'learning_rate']) {
        if (key in payload) state.model[key] = payload[key];
      }
      if (state.model.status !== 'running') { state.model.status = 'running'; renderModel(); }
      scheduleStats();
      break;
    case 'metric':
      addMetric(payload);
      break;
    case 'samples':
      if (Array.isArray(payload.samples)) showRecorded(payload.samples);
      break;
    default:
      break;
  }
}

async function openStream(generation) {
  if (generation !== state.generation || !state.model) return;
  if (POLL_ONLY) {
    setLive('polling every second (asked for with ?updates=poll)');
    startPolling(generation);
    return;
  }
  const controller = new AbortController();
  state.stream = controller;
  const id = state.model.id;
  try {
    const response = await fetch(`/api/models/${id}/events`, {
      headers: { ...authHeaders(), Accept: 'text/event-stream' }, signal: controller.signal, cache: 'no-store',
    });
    if (!response.ok || !response.body) throw new Error(`status ${response.status}`);
    stopPolling();
    setLive('live (server-sent events)');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let name = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) name = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length) handleEvent(name, data.join('\n'), generation);
      }
    }
  } catch {
    // Falls through to polling below.
  }
  if (controller.signal.aborted || generation !== state.generation) return;
  state.stream = null;
  setLive('polling every second (the event stream is not available)');
  startPolling(generation);
  clearTimeout(state.streamRetry);
  state.streamRetry = setTimeout(() => openStream(generation), STREAM_RETRY_MS);
}

function startPolling(generation) {
  stopPolling();
  const tick = async () => {
    if (generation !== state.generation || !state.model) return;
    try {
      const id = state.model.id;
      const model = await api('GET', `/api/models/${id}`);
      if (generation !== state.generation) return;
      state.model = model;
      renderModel();
      await loadMetrics(generation);
      await pollSamples(generation);
    } catch (error) {
      if (error?.code === 'model_not_found') {
        showError(error, 'Following the model');
        return;
      }
    }
    if (generation === state.generation && !state.stream) state.pollTimer = setTimeout(tick, POLL_MS);
  };
  state.pollTimer = setTimeout(tick, 0);
}

function stopPolling() {
  clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

// Reads the samples the job recorded since the cursor (the first call pages
// to the end to find it).
async function pollSamples(generation) {
  const id = state.model.id;
  let cursor = state.sampleCursor ?? 0;
  let newest = [];
  for (;;) {
    const page = await api('GET', `/api/models/${id}/samples?after=${cursor}&limit=1000`);
    if (generation !== state.generation) return;
    newest = newest.concat(page.samples).slice(-(2 * (SAMPLE_COUNT + 1)));
    cursor = page.next_after ?? cursor;
    if (page.samples.length < 1000) break;
  }
  state.sampleCursor = cursor;
  if (newest.length) showRecorded(newest);
}

// ---------------------------------------------------------------------------
// Attaching to a model

function detach() {
  state.generation += 1;
  state.stream?.abort();
  state.stream = null;
  clearTimeout(state.streamRetry);
  stopPolling();
  state.model = null;
  state.lastStatus = null;
  state.metrics = [];
  state.lastStep = -1;
  state.sampleCursor = null;
  state.evaluation = null;
  delete $('greedy').dataset.fresh;
  $('sample-list').replaceChildren();
  setText('greedy', '');
  setText('samples-info', '');
  $('try-probs').replaceChildren();
  setText('try-prime', '');
  setText('try-rest', '');
  setText('try-info', '');
  $('download').hidden = true;
  setText('transfer-info', TRANSFER_HINT);
  setLive('–');
  scheduleDraw();
}

async function attach(id, known) {
  detach();
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
  renderModel();
  renderModelRows(lastModelList);
  setText('samples-info', ACTIVE.has(model.status) ? 'Waiting for the first samples of the training job…' : '');
  await loadMetrics(generation);
  if (generation !== state.generation) return;
  openStream(generation);
  if (!ACTIVE.has(model.status)) await freshSamples();
  predictSoon();
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

// ---------------------------------------------------------------------------
// Actions

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

async function learn() {
  clearError();
  const body = readOptions();
  if (!body) return;
  await attempt('Learning', async () => {
    const previous = state.model;
    const model = await api('POST', '/api/models', { body });
    // The model this page was training gives its slot to the new one.
    if (previous && ACTIVE.has(previous.status)) {
      try { await api('POST', `/api/models/${previous.id}/pause`); } catch { /* it may have just stopped */ }
    }
    await attach(model.id, model);
    refreshModels();
  }, $('btn-learn'));
}

async function control(verb, action) {
  if (!state.model) return;
  clearError();
  const generation = state.generation;
  await attempt(action, async () => {
    const model = await api('POST', `/api/models/${state.model.id}/${verb}`);
    if (generation !== state.generation) return;
    state.model = model;
    renderModel();
    refreshModels();
    if (verb === 'pause') await freshSamples();
  }, $(`btn-${verb}`));
}

function currentTemperature() { return Number(short(logValue($('temp-slider').value))); }
function sliderLearningRate() { return logValue($('lr-slider').value); }

// Runs `send` for the latest wanted value, one request at a time, so that
// answers cannot arrive out of order while a slider moves.
function latestOnly(send) {
  let busy = false;
  let wanted;
  let pending = false;
  return async (value) => {
    wanted = value;
    pending = true;
    if (busy) return;
    busy = true;
    try {
      while (pending) {
        pending = false;
        await send(wanted, () => !pending);
      }
    } finally {
      busy = false;
    }
  };
}

let lrTimer = null;
function learningRateMoved() {
  setText('lr-value', short(sliderLearningRate()));
  clearTimeout(lrTimer);
  lrTimer = setTimeout(applyLearningRate, 250);
}

const sendLearningRate = latestOnly(async (learningRate, isLatest) => {
  const model = state.model;
  if (!model) return;
  await attempt('Changing the learning rate', async () => {
    const answer = await api('PATCH', `/api/models/${model.id}`, { body: { learning_rate: learningRate } });
    if (state.model === model && isLatest()) model.learning_rate = answer.learning_rate;
  });
});

function applyLearningRate() {
  clearTimeout(lrTimer);
  if (state.model) sendLearningRate(sliderLearningRate());
}

let temperatureTimer = null;
function temperatureMoved() {
  setText('temp-value', short(currentTemperature()));
  clearTimeout(temperatureTimer);
  temperatureTimer = setTimeout(applyTemperature, 250);
}

const sendTemperature = latestOnly(async (temperature, isLatest) => {
  const model = state.model;
  if (!model) return;
  await attempt('Changing the temperature', async () => {
    await api('PATCH', `/api/models/${model.id}`, { body: { sample_temperature: temperature } });
    if (state.model !== model || !isLatest()) return;
    model.sample_temperature = temperature;
    await freshSamples();
  });
});

function applyTemperature() {
  clearTimeout(temperatureTimer);
  if (state.model) sendTemperature(currentTemperature());
}

function safeFileName(name) {
  return (name || 'model').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'model';
}

async function save() {
  if (!state.model) return;
  clearError();
  const model = state.model;
  await attempt('Saving the model', async () => {
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

async function importText(text, { action, name, evaluateOn } = {}) {
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
  await attach(model.id, model);
  refreshModels();
  const sample = evaluateOn ?? $('corpus').value;
  if (sample.trim()) {
    const generation = state.generation;
    const evaluation = await api('POST', `/api/models/${model.id}/evaluate`, { body: { text: sample } });
    if (generation !== state.generation) return;
    state.evaluation = evaluation;
    renderStats();
    const skipped = evaluation.skipped ? `, ${integer(evaluation.skipped)} skipped for characters it does not know` : '';
    setText('transfer-info', `Loaded “${model.name}”. Perplexity on the input sentences: ${fixed(evaluation.perplexity, 2)} ` +
      `(${integer(evaluation.sentences)} sentences${skipped}).`);
  } else {
    setText('transfer-info', `Loaded “${model.name}”.`);
  }
}

async function loadFromText() {
  const text = $('model-json').value;
  if (!text.trim()) {
    showError('Loading failed: paste a saved model into the box below “Save and load” first, or choose a file.');
    return;
  }
  await attempt('Loading the model', () => importText(text, { action: 'Loading the model' }), $('btn-load'));
}

async function loadFile(event) {
  const file = event.target.files?.[0];
  event.target.value = '';
  if (!file) return;
  await attempt('Loading the file', async () => {
    const text = await file.text();
    $('model-json').value = text;
    await importText(text, { action: 'Loading the file', name: file.name.replace(/\.json$/i, '') });
  });
}

async function defaultCorpus() {
  if (state.defaultCorpus !== null) return state.defaultCorpus;
  const response = await fetch(DEFAULT_CORPUS_URL, { cache: 'no-store' });
  if (!response.ok) throw new ApiError(response.status, 'http', 'the default corpus is not on the server');
  state.defaultCorpus = await response.text();
  return state.defaultCorpus;
}

async function loadPretrained() {
  await attempt('Loading the pretrained model', async () => {
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
    const corpus = await defaultCorpus();
    let data;
    try { data = JSON.parse(text); } catch (error) { throw new Error(`the pretrained file is not valid JSON (${error.message})`); }
    if (!data.name) data.name = 'pretrained LSTM 100';
    // With its training text the model can be trained further with Resume.
    if (data.text === undefined && data.sentences === undefined) data.text = corpus;
    await importText(JSON.stringify(data), { action: 'Loading the pretrained model', evaluateOn: corpus });
  }, $('btn-pretrained'));
}

// ---------------------------------------------------------------------------
// Try it

let predictTimer = null;
function predictSoon() {
  clearTimeout(predictTimer);
  predictTimer = setTimeout(predict, 250);
}

// The first character of `text` the model does not know, or null.
function unknownCharacter(text) {
  const known = new Set(state.model?.vocabulary ?? []);
  if (!known.size) return null;
  for (const character of text) if (!known.has(character)) return character;
  return null;
}

async function predict() {
  const model = state.model;
  if (!model) return;
  const context = $('try-prefix').value;
  const unknown = unknownCharacter(context);
  if (unknown !== null) {
    $('try-probs').replaceChildren();
    setText('try-info', `The model has never seen “${characterName(unknown)}”, so it cannot read that text. Use only characters from its training sentences.`);
    return;
  }
  const generation = state.generation;
  try {
    const answer = await api('POST', `/api/models/${model.id}/predict`, { body: { context, top_k: 10 } });
    if (generation !== state.generation || $('try-prefix').value !== context) return;
    const items = answer.predictions.map((entry) => {
      const item = document.createElement('li');
      const label = document.createElement('span');
      label.className = entry.end ? 'char end' : 'char';
      label.textContent = entry.end ? 'END' : characterName(entry.character);
      const track = document.createElement('span');
      track.className = 'track';
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${Math.max(0.5, entry.probability * 100).toFixed(1)}%`;
      track.append(bar);
      const percent = document.createElement('span');
      percent.className = 'percent';
      percent.textContent = `${(entry.probability * 100).toFixed(1)}%`;
      item.append(label, track, percent);
      return item;
    });
    $('try-probs').replaceChildren(...items);
    setText('try-info', context ? '' : 'Probabilities of the first character of a sentence.');
  } catch (error) {
    if (generation === state.generation) setText('try-info', plainWords(error, 'Predicting the next character'));
  }
}

async function continuePrefix() {
  const model = state.model;
  if (!model) return;
  const prime = $('try-prefix').value;
  const unknown = unknownCharacter(prime);
  if (unknown !== null) {
    setText('try-info', `The model has never seen “${characterName(unknown)}”, so it cannot continue that text.`);
    return;
  }
  const generation = state.generation;
  await attempt('Continuing the text', async () => {
    const answer = await api('POST', `/api/models/${model.id}/generate`,
      { body: { prime, count: 1, temperature: currentTemperature(), max_length: SAMPLE_LENGTH } });
    if (generation !== state.generation) return;
    const text = answer.samples[0]?.text ?? '';
    const rest = text.startsWith(prime) ? text.slice(prime.length) : text;
    setText('try-prime', prime);
    setText('try-rest', rest);
    setText('try-info', answer.samples[0]?.done_reason === 'length'
      ? `Stopped at ${SAMPLE_LENGTH} characters.` : 'The model ended the sentence.');
  }, $('btn-continue'));
}

// ---------------------------------------------------------------------------
// The models on the server

let lastModelList = [];

function renderModelRows(models) {
  const rows = models.map((listed) => {
    // The shown model's figures are fresher than the list's.
    const model = state.model && listed.id === state.model.id ? { ...listed, ...state.model } : listed;
    const row = document.createElement('tr');
    if (state.model && model.id === state.model.id) row.className = 'is-current';
    const name = document.createElement('td');
    name.className = 'name';
    name.textContent = model.name;
    const status = document.createElement('td');
    const badge = document.createElement('span');
    badge.className = 'status';
    badge.dataset.status = model.status;
    badge.textContent = model.status;
    status.append(badge);
    const ticks = document.createElement('td');
    ticks.className = 'number ticks';
    ticks.textContent = integer(model.ticks);
    const perplexity = document.createElement('td');
    perplexity.className = 'number perplexity';
    perplexity.textContent = fixed(model.median_perplexity ?? model.perplexity, 2);
    const actions = document.createElement('td');
    actions.className = 'actions';
    if (state.model && model.id === state.model.id) {
      const current = document.createElement('span');
      current.className = 'current-label';
      current.textContent = 'shown';
      actions.append(current);
    } else {
      const open = document.createElement('button');
      open.type = 'button';
      open.textContent = 'Open';
      open.dataset.action = 'open';
      open.dataset.id = String(model.id);
      actions.append(open);
    }
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'quiet';
    remove.textContent = 'Delete';
    remove.dataset.action = 'delete';
    remove.dataset.id = String(model.id);
    actions.append(remove);
    row.append(name, status, ticks, perplexity, actions);
    return row;
  });
  $('model-rows').replaceChildren(...rows);
  setText('models-info', models.length ? '' : 'No models yet.');
}

let modelsBusy = false;
async function refreshModels() {
  if (modelsBusy) return;
  modelsBusy = true;
  try {
    const answer = await api('GET', '/api/models?limit=50');
    lastModelList = answer.models;
    renderModelRows(lastModelList);
  } catch (error) {
    setText('models-info', plainWords(error, 'Listing the models'));
  } finally {
    modelsBusy = false;
  }
}

async function modelAction(event) {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const id = Number(button.dataset.id);
  clearError();
  if (button.dataset.action === 'open') {
    await attempt('Opening the model', () => attach(id), button);
  } else if (button.dataset.action === 'delete') {
    const entry = lastModelList.find((model) => model.id === id);
    if (!window.confirm(`Delete “${entry?.name ?? id}” and its history from the server?`)) return;
    await attempt('Deleting the model', async () => {
      await api('DELETE', `/api/models/${id}`);
      if (state.model?.id === id) {
        detach();
        localStorage.removeItem(STORAGE_MODEL);
        renderModel();
      }
      await refreshModels();
    }, button);
  }
}

// ---------------------------------------------------------------------------
// Start

function corpusInfo() {
  const lines = $('corpus').value.split('\n').map((line) => line.trim()).filter(Boolean);
  const characters = new Set();
  for (const line of lines) for (const character of line) characters.add(character);
  setText('corpus-info', `${integer(lines.length)} sentences, ${characters.size} distinct characters.`);
}

async function start() {
  const token = sessionStorage.getItem(STORAGE_TOKEN);
  if (token) $('api-token').value = token;
  $('api-token').addEventListener('input', () => sessionStorage.setItem(STORAGE_TOKEN, $('api-token').value));
  $('error-close').addEventListener('click', clearError);
  $('btn-learn').addEventListener('click', learn);
  $('btn-pause').addEventListener('click', () => control('pause', 'Pausing'));
  $('btn-resume').addEventListener('click', () => control('resume', 'Resuming'));
  $('lr-slider').addEventListener('input', learningRateMoved);
  $('lr-slider').addEventListener('change', applyLearningRate);
  $('temp-slider').addEventListener('input', temperatureMoved);
  $('temp-slider').addEventListener('change', applyTemperature);
  $('btn-sample').addEventListener('click', () => attempt('Sampling', freshSamples, $('btn-sample')));
  $('btn-save').addEventListener('click', save);
  $('btn-load').addEventListener('click', loadFromText);
  $('file-input').addEventListener('change', loadFile);
  $('btn-pretrained').addEventListener('click', loadPretrained);
  $('btn-refresh').addEventListener('click', refreshModels);
  $('model-rows').addEventListener('click', modelAction);
  $('try-prefix').addEventListener('input', predictSoon);
  $('try-prefix').addEventListener('keydown', (event) => { if (event.key === 'Enter') continuePrefix(); });
  $('btn-continue').addEventListener('click', continuePrefix);
  $('corpus').addEventListener('input', corpusInfo);
  window.addEventListener('resize', scheduleDraw);
  setText('temp-value', short(currentTemperature()));
  setText('lr-value', short(sliderLearningRate()));
  renderModel();
  scheduleDraw();

  try {
    const text = await defaultCorpus();
    if (!$('corpus').value) $('corpus').value = text;
  } catch (error) {
    showError(error, 'Reading the default sentences');
  }
  corpusInfo();

  await refreshModels();
  const remembered = Number(localStorage.getItem(STORAGE_MODEL));
  if (remembered) {
    const known = lastModelList.find((model) => model.id === remembered);
    const gone = !known && lastModelList.length < 50;
    try {
      if (gone) throw new ApiError(404, 'model_not_found', `no model with id ${remembered}`, 'id');
      await attach(remembered, known);
    } catch (error) {
      if (error?.code === 'model_not_found') {
        localStorage.removeItem(STORAGE_MODEL);
        detach();
        renderModel();
        setText('models-info', 'The model this page showed before is no longer on the server.');
      } else {
        showError(error, 'Reopening the model');
      }
    }
  }
  setInterval(refreshModels, 5000);
  document.body.dataset.ready = 'true';
}

start();
