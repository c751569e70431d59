// The training sentences: the default corpus the server ships (read once and
// kept in the state) and the count under the "Input sentences" box.

import { ApiError } from './api.js';
import { DEFAULT_CORPUS_URL } from './constants.js';
import { $, setText } from './dom.js';
import { integer } from './format.js';

export async function defaultCorpus(state) {
  if (state.defaultCorpus !== null) return state.defaultCorpus;
  const response = await fetch(DEFAULT_CORPUS_URL, { cache: 'no-store' });
  if (!response.ok) throw new ApiError(response.status, 'http', 'the default corpus is not on the server');
  state.defaultCorpus = await response.text();
  return state.defaultCorpus;
}

export function corpusInfo() {
  const lines = $('corpus').value.split('\n').map((line) => line.trim()).filter(Boolean);
  const characters = new Set();
  for (const line of lines) for (const character of line) characters.add(character);
  setText('corpus-info', `${integer(lines.length)} sentences, ${characters.size} distinct characters.`);
}
