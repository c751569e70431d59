// The "Try it" card: the next-character probabilities for what a person types
// and its surprisal heat map (surprisal.js), asked for once typing pauses, and
// a continuation of it on Enter or a click, with the Samples card's settings.

import { api } from './api.js';
import { SAMPLE_LENGTH } from './constants.js';
import { $, setText } from './dom.js';
import { attempt, plainWords } from './errors.js';
import { characterName } from './format.js';
import { sampleRequest } from './samples.js';
import { clearHeat, showSurprisal } from './surprisal.js';

// How a continuation ended, by the API's finish_reason.
const ENDINGS = {
  end: 'The model ended the sentence.',
  stop: 'Stopped before the stop sequence.',
  length: `Stopped at ${SAMPLE_LENGTH} characters.`,
};

export function predictSoon(state) {
  clearTimeout(state.predictTimer);
  state.predictTimer = setTimeout(() => predict(state), 250);
}

// The first character of `text` the model does not know, or null.
function unknownCharacter(state, text) {
  const known = new Set(state.model?.vocabulary ?? []);
  if (!known.size) return null;
  for (const character of text) if (!known.has(character)) return character;
  return null;
}

async function predict(state) {
  const model = state.model;
  if (!model) return;
  const context = $('try-prefix').value;
  const unknown = unknownCharacter(state, context);
  if (unknown !== null) {
    $('try-probs').replaceChildren();
    clearHeat();
    setText('try-info', `The model has never seen “${characterName(unknown)}”, so it cannot read that text. Use only characters from its training sentences.`);
    return;
  }
  const generation = state.generation;
  showSurprisal(state, context);
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

export async function continuePrefix(state) {
  const model = state.model;
  if (!model) return;
  const prime = $('try-prefix').value;
  const unknown = unknownCharacter(state, prime);
  if (unknown !== null) {
    setText('try-info', `The model has never seen “${characterName(unknown)}”, so it cannot continue that text.`);
    return;
  }
  const body = sampleRequest(1);
  if (!body) {
    setText('try-info', 'An advanced sampling setting is refused (see the Samples card), so the text cannot be continued.');
    return;
  }
  const generation = state.generation;
  await attempt(state, 'Continuing the text', async () => {
    const answer = await api('POST', `/api/models/${model.id}/generate`, { body: { ...body, prime } });
    if (generation !== state.generation) return;
    const text = answer.samples[0]?.text ?? '';
    const rest = text.startsWith(prime) ? text.slice(prime.length) : text;
    setText('try-prime', prime);
    setText('try-rest', rest);
    setText('try-info', ENDINGS[answer.samples[0]?.finish_reason] ?? ENDINGS.end);
  }, $('btn-continue'));
}
