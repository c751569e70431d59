// Drawing a loss chart in SVG: one or more series of loss in nats per
// character against ticks or wall time, the perplexity (e^loss) on a second
// axis, an optional marker, and a hover (or tap) read-out of the exact values.
// Every label is a text node, so names from models or people stay text.
// Points carry data attributes (step, loss, series) so tests can read them.

const SVG = 'http://www.w3.org/2000/svg';

function node(name, attributes = {}, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function niceStep(range, count) {
  const raw = range / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

function short(value, digits = 3) { return String(Number(value.toPrecision(digits))); }

export function tickText(value) { return Math.abs(value) >= 10000 ? `${short(value / 1000, 4)}k` : short(value, 4); }

/** Seconds as "42 s", "3 min 5 s" or "1 h 2 min". */
export function duration(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min${whole % 60 ? ` ${whole % 60} s` : ''}`;
  return `${Math.floor(whole / 3600)} h${Math.floor(whole / 60) % 60 ? ` ${Math.floor(whole / 60) % 60} min` : ''}`;
}

/** "1.23 nats/char (perplexity 3.42)". */
export function lossText(loss) { return `${loss.toFixed(3)} nats/char (perplexity ${short(Math.exp(loss), 4)})`; }

/**
 * Draws `chart` into `svg`:
 *   series: [{ label, color, dashed, dots, points: [{ x, step, seconds, loss }] }]
 *   marker: { x, step, loss, label } or null
 *   time: whether x is wall time in seconds (else ticks)
 *   empty: what to say when there is nothing to draw
 * `tip` is the element the hover read-out is written into.
 */
export function drawLossChart(svg, tip, chart) {
  const width = svg.clientWidth, height = svg.clientHeight;
  if (!width || !height) return;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const narrow = width < 420;
  const left = narrow ? 44 : 56, right = narrow ? 44 : 60, top = 12, bottom = 40;
  const plotWidth = Math.max(10, width - left - right), plotHeight = Math.max(10, height - top - bottom);
  const points = chart.series.flatMap((series) => series.points);
  const children = [];

  let xMax = Math.max(chart.time ? 10 : 100, ...points.map((point) => point.x));
  let yMin = Math.min(...points.map((point) => point.loss), chart.marker ? chart.marker.loss : Infinity);
  let yMax = Math.max(...points.map((point) => point.loss), chart.marker ? chart.marker.loss : -Infinity);
  if (!points.length) { yMin = 0; yMax = 4; }
  if (yMax - yMin < 1e-6) { yMin -= 0.1; yMax += 0.1; }
  const yStep = niceStep(yMax - yMin, narrow ? 4 : 5);
  yMin = Math.max(0, Math.floor(yMin / yStep) * yStep);
  yMax = Math.ceil(yMax / yStep) * yStep;
  const xStep = niceStep(xMax, Math.max(2, Math.floor(plotWidth / 80)));
  xMax = Math.ceil(xMax / xStep) * xStep;
  const px = (x) => left + (x / xMax) * plotWidth;
  const py = (y) => top + plotHeight - ((y - yMin) / (yMax - yMin)) * plotHeight;

  // Grid, loss ticks on the left and the perplexity of the same heights on the right.
  for (let y = yMin; y <= yMax + yStep / 2; y += yStep) {
    const at = Math.round(py(y)) + 0.5;
    children.push(node('line', { class: 'grid', x1: left, x2: left + plotWidth, y1: at, y2: at }));
    children.push(node('text', { class: 'tick', x: left - 6, y: at, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, short(y, 3)));
    children.push(node('text', { class: 'tick', x: left + plotWidth + 6, y: at, 'dominant-baseline': 'middle' }, short(Math.exp(y), 3)));
  }
  for (let x = 0; x <= xMax + xStep / 2; x += xStep) {
    const at = Math.round(px(x)) + 0.5;
    children.push(node('line', { class: 'grid', x1: at, x2: at, y1: top, y2: top + plotHeight }));
    children.push(node('text', { class: 'tick', x: at, y: top + plotHeight + 14, 'text-anchor': 'middle' },
      chart.time ? duration(x) : tickText(x)));
  }
  children.push(node('path', { class: 'axis', d: `M${left + 0.5},${top}V${top + plotHeight + 0.5}H${left + plotWidth}` }));
  children.push(node('text', { class: 'axis-title', x: left + plotWidth / 2, y: height - 4, 'text-anchor': 'middle' },
    chart.time ? 'wall time since the model was created' : 'ticks'));
  children.push(node('text', { class: 'axis-title', transform: `translate(11 ${top + plotHeight / 2}) rotate(-90)`, 'text-anchor': 'middle' },
    narrow ? 'loss (nats/char)' : 'loss (nats per character)'));
  children.push(node('text', { class: 'axis-title', transform: `translate(${width - 16} ${top + plotHeight / 2}) rotate(90)`, 'text-anchor': 'middle' },
    'perplexity'));

  chart.series.forEach((series, index) => {
    if (!series.points.length) return;
    const d = series.points.map((point, i) => `${i ? 'L' : 'M'}${px(point.x).toFixed(1)},${py(point.loss).toFixed(1)}`).join('');
    children.push(node('path', {
      class: `series${series.dashed ? ' dashed' : ''}`, d, stroke: series.color, 'data-series': series.label, 'data-index': index,
    }));
    for (const point of series.points) {
      children.push(node('circle', {
        class: `point${series.dots ? '' : ' quiet'} ${series.kind ?? ''}`.trim(), cx: px(point.x).toFixed(1), cy: py(point.loss).toFixed(1),
        r: series.dots ? 3.2 : 1.6, fill: series.color, 'data-step': point.step, 'data-loss': point.loss, 'data-series': series.label,
      }));
    }
  });
  if (chart.marker) {
    const mx = px(chart.marker.x), my = py(chart.marker.loss);
    const marker = node('g', { class: 'best-marker', 'data-step': chart.marker.step, 'data-loss': chart.marker.loss });
    marker.append(node('line', { x1: mx, x2: mx, y1: top, y2: top + plotHeight }),
      node('path', { d: `M${mx},${my - 7}L${mx + 7},${my}L${mx},${my + 7}L${mx - 7},${my}Z` }),
      node('text', { x: Math.min(mx + 6, left + plotWidth - 4), y: top + 10, 'text-anchor': mx + 6 > left + plotWidth - 60 ? 'end' : 'start' },
        chart.marker.label));
    children.push(marker);
  }
  if (!points.length) {
    children.push(node('text', { class: 'empty', x: left + plotWidth / 2, y: top + plotHeight / 2, 'text-anchor': 'middle' }, chart.empty));
  }
  const guide = node('line', { class: 'guide', y1: top, y2: top + plotHeight, visibility: 'hidden' });
  children.push(guide);
  svg.replaceChildren(...children);

  // Hover and tap: the values of every series at the nearest point.
  svg.onpointermove = svg.onpointerdown = (event) => {
    if (!points.length) return;
    const box = svg.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * width;
    const nearest = points.reduce((best, point) => (Math.abs(px(point.x) - x) < Math.abs(px(best.x) - x) ? point : best));
    const lines = [chart.time ? `${duration(nearest.x)} (tick ${tickText(nearest.step)})` : `tick ${nearest.step.toLocaleString('en')}`];
    for (const series of chart.series) {
      const found = series.points.find((point) => point.x === nearest.x) ??
        series.points.find((point) => Math.abs(px(point.x) - px(nearest.x)) < 3);
      if (found) lines.push(`${series.label}: ${lossText(found.loss)}`);
    }
    if (chart.marker && chart.marker.step === nearest.step) lines.push(chart.marker.label);
    guide.setAttribute('x1', px(nearest.x));
    guide.setAttribute('x2', px(nearest.x));
    guide.setAttribute('visibility', 'visible');
    tip.replaceChildren(...lines.map((line) => { const row = document.createElement('div'); row.textContent = line; return row; }));
    tip.hidden = false;
    const flip = px(nearest.x) > width / 2;
    tip.style.left = flip ? '' : `${(px(nearest.x) / width) * 100}%`;
    tip.style.right = flip ? `${100 - (px(nearest.x) / width) * 100}%` : '';
  };
  svg.onpointerleave = () => { tip.hidden = true; guide.setAttribute('visibility', 'hidden'); };
}

/** The legend under a chart: a swatch and the series' label, as text. */
export function drawLegend(list, series) {
  list.replaceChildren(...series.map((entry) => {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = `swatch${entry.dashed ? ' dashed' : ''}`;
    swatch.style.borderColor = entry.color;
    const label = document.createElement('span');
    label.className = 'legend-label';
    label.textContent = entry.label;
    item.append(swatch, label);
    item.dataset.series = entry.label;
    return item;
  }));
}
