// Live updates of the attached model: the SSE endpoint, read with fetch so the
// token header can be sent; polling when the stream cannot be had (and with
// ?updates=poll). Every answer is checked against state.generation so that
// one for a model the page no longer shows is dropped.

import { api, authHeaders } from './api.js';
import { POLL_MS, POLL_ONLY, SAMPLE_COUNT, STREAM_RETRY_MS } from './constants.js';
import { setText } from './dom.js';
import { attempt, showError } from './errors.js';
import { addMetric, loadMetrics, scheduleDraw } from './graph.js';
import { addValidation } from './loss-view.js';
import { refreshModels } from './model-list.js';
import { renderModel, renderStats } from './model-view.js';
import { showRecorded } from './samples.js';

export function setLive(text) { setText('live-mode', `Updates: ${text}`); }

// Progress events come many a second; the figures are drawn at most every 150 ms.
function scheduleStats(state) {
  if (state.statsPending) return;
  state.statsPending = true;
  setTimeout(() => { state.statsPending = false; renderStats(state); }, 150);
}

// A status event carries no figures: the model is read again in full.
function scheduleRefresh(state, delay = 100) {
  clearTimeout(state.refreshTimer);
  const generation = state.generation;
  state.refreshTimer = setTimeout(() => {
    if (generation !== state.generation || !state.model) return;
    attempt(state, 'Reading the model', async () => {
      const model = await api('GET', `/api/models/${state.model.id}`);
      if (generation !== state.generation) return;
      state.model = model;
      renderModel(state);
      scheduleDraw(state); // the best step may have moved
      refreshModels(state);
    });
  }, delay);
}

function handleEvent(state, name, data, generation) {
  if (generation !== state.generation || !state.model) return;
  let payload;
  try { payload = JSON.parse(data); } catch { return; }
  if (payload.id !== undefined && payload.id !== state.model.id) return;
  switch (name) {
    case 'status':
      if (payload.config) {
        state.model = payload;
        renderModel(state);
        scheduleDraw(state);
      } else {
        state.model.status = payload.status;
        if (payload.error) state.model.error = payload.error;
        renderModel(state);
        scheduleRefresh(state);
      }
      break;
    case 'progress':
      for (const key of ['ticks', 'epoch', 'perplexity', 'median_perplexity', 'ticks_per_sec', 'chars_per_sec', 'learning_rate']) {
        if (key in payload) state.model[key] = payload[key];
      }
      if (state.model.status !== 'running') { state.model.status = 'running'; renderModel(state); }
      scheduleStats(state);
      break;
    case 'metric':
      addMetric(state, payload);
      break;
    case 'validation':
      addValidation(state, payload, () => scheduleDraw(state));
      break;
    case 'samples':
      if (Array.isArray(payload.samples)) showRecorded(state, payload.samples);
      break;
    default:
      break;
  }
}

export async function openStream(state, generation) {
  if (generation !== state.generation || !state.model) return;
  if (POLL_ONLY) {
    setLive('polling every second (asked for with ?updates=poll)');
    startPolling(state, generation);
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
    stopPolling(state);
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
        if (data.length) handleEvent(state, name, data.join('\n'), generation);
      }
    }
  } catch {
    // Falls through to polling below.
  }
  if (controller.signal.aborted || generation !== state.generation) return;
  state.stream = null;
  setLive('polling every second (the event stream is not available)');
  startPolling(state, generation);
  clearTimeout(state.streamRetry);
  state.streamRetry = setTimeout(() => openStream(state, generation), STREAM_RETRY_MS);
}

function startPolling(state, generation) {
  stopPolling(state);
  const tick = async () => {
    if (generation !== state.generation || !state.model) return;
    try {
      const id = state.model.id;
      const model = await api('GET', `/api/models/${id}`);
      if (generation !== state.generation) return;
      state.model = model;
      renderModel(state);
      scheduleDraw(state);
      await loadMetrics(state, generation);
      await pollSamples(state, generation);
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

export function stopPolling(state) {
  clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

// Reads the samples the job recorded since the cursor (the first call pages
// to the end to find it).
async function pollSamples(state, generation) {
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
  if (newest.length) showRecorded(state, newest);
}
