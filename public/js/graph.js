// The perplexity graph: the median perplexity of each 100 ticks (state.metrics),
// read from the API and drawn on the canvas, at most once an animation frame
// (with the loss curves of loss-view.js, drawn from the same points).

import { api } from './api.js';
import { $, setText } from './dom.js';
import { short } from './format.js';
import { drawLosses } from './loss-view.js';

export function scheduleDraw(state) {
  if (state.drawPending) return;
  state.drawPending = true;
  requestAnimationFrame(() => { state.drawPending = false; drawGraph(state); drawLosses(state); });
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

function drawGraph(state) {
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

// Adds a point that is newer than the last one (the stream and the pages may overlap).
export function addMetric(state, point) {
  if (!Number.isFinite(point.step) || point.step <= state.lastStep) return;
  state.metrics.push({
    step: point.step, median_perplexity: point.median_perplexity, mean_loss: point.mean_loss,
    validation_loss: point.validation_loss, time: point.time,
  });
  state.lastStep = point.step;
  scheduleDraw(state);
}

// Reads the points after the last one, page by page, for the attached model.
export async function loadMetrics(state, generation) {
  const id = state.model.id;
  for (;;) {
    const page = await api('GET', `/api/models/${id}/metrics?after_step=${state.lastStep}&limit=1000`);
    if (generation !== state.generation) return;
    for (const point of page.metrics) addMetric(state, point);
    if (page.next_after_step === null || page.next_after_step === undefined || !page.metrics.length) return;
  }
}

