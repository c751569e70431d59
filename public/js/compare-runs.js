// "Compare runs": models picked from the list of models on the server, their
// validation curves (or training loss, for a model that never validated)
// overlaid on one chart with a legend, to see which settings learn faster.
// Curves of models still training are read again when the list refreshes.

import { api } from './api.js';
import { ACTIVE } from './constants.js';
import { $, setText } from './dom.js';
import { plainWords } from './errors.js';
import { integer } from './format.js';
import { drawLegend, drawLossChart } from './loss-chart.js';
import { lossSeries } from './loss-series.js';
import { placed, wallTime } from './loss-view.js';

// Told apart by hue and lightness, on white.
const PALETTE = ['#1d4ed8', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#4b5563'];

async function allMetrics(id) {
  let after = -1;
  const points = [];
  for (;;) {
    const page = await api('GET', `/api/models/${id}/metrics?after_step=${after}&limit=1000`);
    points.push(...page.metrics);
    if (page.next_after_step === null || page.next_after_step === undefined || !page.metrics.length) return points;
    after = page.next_after_step;
  }
}

export function renderCompareList(state) {
  const picked = state.compare.picked;
  for (const id of [...picked]) if (!state.modelList.some((model) => model.id === id)) picked.delete(id);
  const items = state.modelList.map((model) => {
    const item = document.createElement('li');
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.dataset.id = String(model.id);
    box.checked = picked.has(model.id);
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = model.name;
    const about = document.createElement('span');
    about.className = 'about';
    about.textContent = ` #${model.id} · ${model.status} · ${integer(model.ticks)} ticks`;
    label.append(box, name, about);
    item.append(label);
    return item;
  });
  $('compare-list').replaceChildren(...items);
  if (!state.modelList.length) setText('compare-info', 'No models on the server yet.');
}

// Reads the picked models' histories: all of them the first time, then only
// those still training.
export async function refreshCompare(state, { all = false } = {}) {
  if (state.compare.busy) { state.compare.again = true; return; }
  if (!$('compare').open || !state.compare.picked.size) { drawCompare(state); return; }
  state.compare.busy = true;
  state.compare.again = false;
  try {
    for (const id of state.compare.picked) {
      const known = state.compare.runs.get(id);
      const listed = state.modelList.find((model) => model.id === id);
      if (known && !all && !ACTIVE.has(listed?.status ?? known.model.status)) continue;
      const model = await api('GET', `/api/models/${id}`);
      const metrics = await allMetrics(id);
      state.compare.runs.set(id, { model, metrics });
    }
    drawCompare(state);
  } catch (error) {
    setText('compare-info', plainWords(error, 'Reading the runs to compare'));
  } finally {
    state.compare.busy = false;
  }
  // A pick made while the others were read.
  if (state.compare.again) refreshCompare(state);
}

export function drawCompare(state) {
  const time = wallTime();
  const series = [];
  let index = 0;
  for (const id of state.compare.picked) {
    const run = state.compare.runs.get(id);
    if (!run) continue;
    const { training, validation } = lossSeries(run.model, run.metrics);
    const useValidation = validation.length > 0;
    const kind = useValidation ? 'validation' : training.length ? 'training' : 'no loss history yet';
    series.push({
      label: `${run.model.name} (#${id}) ${kind}`,
      color: PALETTE[index % PALETTE.length], dots: useValidation, kind: useValidation ? 'validation' : 'training',
      points: placed(useValidation ? validation : training, time), modelId: id,
    });
    index += 1;
  }
  drawLossChart($('compare-chart'), $('compare-tip'), {
    series, marker: null, time, empty: 'Pick two or more models above.',
  });
  drawLegend($('compare-legend'), series);
  $('compare-chart').dataset.series = String(series.length);
  const picked = state.compare.picked.size;
  if (picked < 2) setText('compare-info', picked ? 'Pick at least one more model to compare.' : '');
  else setText('compare-info', `${picked} runs.${series.some((entry) => entry.kind === 'training') ? ' A run without validation shows its training loss.' : ''}`);
}

export function listenForCompare(state) {
  $('compare-list').addEventListener('change', (event) => {
    const box = event.target.closest('input[type="checkbox"][data-id]');
    if (!box) return;
    const id = Number(box.dataset.id);
    if (box.checked) state.compare.picked.add(id); else { state.compare.picked.delete(id); state.compare.runs.delete(id); }
    refreshCompare(state);
  });
  $('compare').addEventListener('toggle', () => { if ($('compare').open) refreshCompare(state, { all: true }); });
}
