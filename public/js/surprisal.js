// The try-it box's heat map: every typed character coloured by how surprising
// the model finds it after the characters before it, its surprisal −ln p in
// nats, from `POST /api/models/{id}/evaluate` with `per_character`. The
// legend is drawn from the same colour scale, so the two cannot disagree.

import { api } from './api.js';
import { $, setText } from './dom.js';
import { plainWords } from './errors.js';
import { characterName } from './format.js';

// Surprisals at or above this many nats get the hottest colour (p ≤ 0.7%).
export const HOTTEST_NATS = 5;

// Pale yellow to dark red (ColorBrewer's YlOrRd). Every channel only falls
// along the scale, so a hotter colour is always a darker one.
const STOPS = [[255, 250, 205], [254, 217, 118], [253, 141, 60], [227, 26, 28], [128, 0, 28]];

/** The colour of a surprisal, as a CSS rgb(), and whether text on it should be light. */
export function heatColour(nats) {
  const share = Math.min(Math.max(nats / HOTTEST_NATS, 0), 1);
  const t = share * (STOPS.length - 1);
  const low = Math.min(Math.floor(t), STOPS.length - 2);
  const f = t - low;
  const [r, g, b] = STOPS[low].map((c, i) => Math.round(c + (STOPS[low + 1][i] - c) * f));
  return { background: `rgb(${r}, ${g}, ${b})`, light: share > 0.65 };
}

function paint(span, nats) {
  const colour = heatColour(nats);
  span.style.backgroundColor = colour.background;
  if (colour.light) span.classList.add('light');
}

/** Fills the legend: one swatch per nat from 0 to HOTTEST_NATS. */
export function drawLegend() {
  const swatches = [];
  for (let nats = 0; nats <= HOTTEST_NATS; nats += 1) {
    const swatch = document.createElement('li');
    swatch.className = 'swatch';
    swatch.dataset.surprisal = String(nats);
    swatch.textContent = nats === HOTTEST_NATS ? `${nats}+` : String(nats);
    paint(swatch, nats);
    swatches.push(swatch);
  }
  $('heat-scale').replaceChildren(...swatches);
}

function describeCharacter(character, nats) {
  const p = Math.exp(-nats) * 100;
  const percent = p >= 0.1 ? p.toFixed(1) : p.toExponential(1);
  return `“${characterName(character)}”: ${nats.toFixed(2)} nats, p = ${percent}%`;
}

export function clearHeat() {
  $('try-heat').replaceChildren();
  setText('heat-info', '');
}

/** Draws the heat map of `typed` from one evaluated sentence (the server
 * trims the text, so whitespace around it stays uncoloured). */
export function renderHeat(typed, sentence) {
  const characters = Array.from(sentence.text);
  const offset = Math.max(0, typed.indexOf(sentence.text));
  const before = Array.from(typed.slice(0, offset));
  const after = Array.from(typed.slice(offset + sentence.text.length));
  const plain = (character) => {
    const span = document.createElement('span');
    span.className = 'plain';
    span.textContent = character;
    return span;
  };
  const coloured = characters.map((character, index) => {
    const nats = sentence.surprisal[index];
    const span = document.createElement('span');
    span.className = 'heat';
    span.textContent = character;
    span.dataset.surprisal = String(nats);
    span.title = describeCharacter(character, nats);
    paint(span, nats);
    return span;
  });
  $('try-heat').replaceChildren(...before.map(plain), ...coloured, ...after.map(plain));
  const values = sentence.surprisal.slice(0, characters.length);
  if (!values.length) { setText('heat-info', ''); return; }
  const mean = values.reduce((sum, x) => sum + x, 0) / values.length;
  const worst = values.indexOf(Math.max(...values));
  setText('heat-info', `Mean surprisal ${mean.toFixed(2)} nats a character; the most surprising is ` +
    `${describeCharacter(characters[worst], values[worst])}. Tap or point at a character for its figure.`);
}

/** Asks for the surprisal of each character of `typed` and draws it, unless
 * the text or the model changed meanwhile. */
export async function showSurprisal(state, typed) {
  const model = state.model;
  if (!model || typed.trim() === '') { clearHeat(); return; }
  const generation = state.generation;
  try {
    const answer = await api('POST', `/api/models/${model.id}/evaluate`, { body: { text: typed, per_character: true } });
    if (generation !== state.generation || $('try-prefix').value !== typed) return;
    const sentence = answer.characters?.[0];
    if (!sentence || sentence.skipped) { clearHeat(); return; }
    renderHeat(typed, sentence);
  } catch (error) {
    if (generation === state.generation) {
      $('try-heat').replaceChildren();
      setText('heat-info', plainWords(error, 'Measuring the surprisal'));
    }
  }
}

/** A tapped or clicked character's figure, for screens without a pointer to hover. */
export function heatTapped(event) {
  const span = event.target.closest?.('span.heat');
  if (!span) return;
  setText('heat-info', describeCharacter(span.textContent, Number(span.dataset.surprisal)));
}
