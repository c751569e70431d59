// The "Loss curves" card for the attached model: training and validation
// loss against ticks or wall time (loss-chart.js draws it), the best
// validation step marked, and the best weights to download. Drawn from the
// metric points the page keeps (graph.js reads them from the API and the
// event stream) and the stream's validation events.

import { api } from './api.js';
import { $, setText } from './dom.js';
import { attempt, clearError } from './errors.js';
import { integer } from './format.js';
import { drawLegend, drawLossChart, duration, lossText } from './loss-chart.js';
import { lossSeries } from './loss-series.js';

export const TRAINING_COLOR = '#1d4ed8';
export const VALIDATION_COLOR = '#c2410c';

export function hasBest(model) { return Number.isFinite(model?.best_step); }

export function wallTime() { return $('loss-x-time').checked; }

/** Chart points of `series` with x in ticks or seconds. */
export function placed(points, time) { return points.map((point) => ({ ...point, x: time ? point.seconds : point.step })); }

export function drawLosses(state) {
  const model = state.model;
  const time = wallTime();
  const { training, validation, best } = lossSeries(model, state.metrics, state.validations);
  const series = [{ label: 'training loss', color: TRAINING_COLOR, points: placed(training, time), dots: false, kind: 'training' }];
  if (validation.length || model?.config?.corpus === 'text') {
    series.push({ label: 'validation loss', color: VALIDATION_COLOR, points: placed(validation, time), dots: true, kind: 'validation' });
  }
  const marker = best && { x: time ? best.seconds : best.step, step: best.step, loss: best.loss, label: `best, tick ${integer(best.step)}` };
  drawLossChart($('loss-chart'), $('loss-tip'), {
    series, marker, time,
    empty: model ? 'A point is added every 100 ticks of training.' : 'Start learning to see the loss fall.',
  });
  drawLegend($('loss-legend'), marker ? [...series, { label: 'best validation', color: VALIDATION_COLOR, dashed: true }] : series);
  $('loss-chart').dataset.validationPoints = String(validation.length);
  $('loss-chart').dataset.bestStep = best ? String(best.step) : '';
  if (best) {
    setText('loss-best', `Best validation loss ${lossText(best.loss)} at tick ${integer(best.step)}` +
      (time || best.seconds ? `, ${duration(best.seconds)} in` : '') + '.');
  } else {
    setText('loss-best', model?.config?.corpus === 'text' ? 'No validation yet: the first comes after “Validate every” ticks.' : '');
  }
  $('btn-best').disabled = !hasBest(model);
  $('weights-choice').hidden = !hasBest(model);
  if (!hasBest(model)) $('opt-weights').value = 'current';
}

/** A `validation` event of the stream: the point, and the model's best so far. */
export function addValidation(state, payload, redraw) {
  if (!Number.isFinite(payload.step) || !Number.isFinite(payload.validation_loss)) return;
  state.validations.set(payload.step, payload.validation_loss);
  state.model.validation_loss = payload.validation_loss;
  if (Number.isFinite(payload.best_step)) {
    state.model.best_step = payload.best_step;
    state.model.best_validation_loss = payload.best_validation_loss;
  }
  redraw();
}

function safeFileName(name) {
  return (name || 'model').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'model';
}

// The best checkpoint: downloaded as a file, and put in the Save and load box
// so it can be loaded back from there.
export async function downloadBest(state) {
  const model = state.model;
  if (!hasBest(model)) return;
  clearError();
  await attempt(state, 'Downloading the best model', async () => {
    const text = await api('GET', `/api/models/${model.id}/export?weights=best`, { asText: true });
    if (state.bestURL) URL.revokeObjectURL(state.bestURL);
    state.bestURL = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const link = $('download-best');
    link.href = state.bestURL;
    link.download = `${safeFileName(model.name)}-best.json`;
    link.hidden = false;
    link.click();
    $('model-json').value = text;
    const step = JSON.parse(text)?.training?.ticks;
    setText('best-info', `The weights of tick ${integer(step ?? model.best_step)} (validation loss ${lossText(model.best_validation_loss)}): ` +
      `${integer(text.length)} characters of JSON, also in the box under “Save and load”, where “Load from text” trains them further.`);
  }, $('btn-best'));
}
