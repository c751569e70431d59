// The "Models on the server" card: the list (GET /api/models, kept in
// state.modelList), and its Open and Delete buttons.

import { api } from './api.js';
import { STORAGE_MODEL } from './constants.js';
import { attach, detach } from './current-model.js';
import { $, setText } from './dom.js';
import { attempt, clearError, plainWords } from './errors.js';
import { fixed, integer } from './format.js';
import { refreshCompare, renderCompareList } from './compare-runs.js';
import { renderModel } from './model-view.js';

export function renderModelRows(state, models) {
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

// One list request at a time: the timer, the buttons and events all ask for it.
export async function refreshModels(state) {
  if (state.modelsBusy) return;
  state.modelsBusy = true;
  try {
    const answer = await api('GET', '/api/models?limit=50');
    state.modelList = answer.models;
    renderModelRows(state, state.modelList);
    renderCompareList(state);
    refreshCompare(state);
  } catch (error) {
    setText('models-info', plainWords(error, 'Listing the models'));
  } finally {
    state.modelsBusy = false;
  }
}

// A click in the list's rows (one listener for all of them).
export async function modelAction(state, event) {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const id = Number(button.dataset.id);
  clearError();
  if (button.dataset.action === 'open') {
    await attempt(state, 'Opening the model', () => attach(state, id), button);
  } else if (button.dataset.action === 'delete') {
    const entry = state.modelList.find((model) => model.id === id);
    if (!window.confirm(`Delete “${entry?.name ?? id}” and its history from the server?`)) return;
    await attempt(state, 'Deleting the model', async () => {
      await api('DELETE', `/api/models/${id}`);
      if (state.model?.id === id) {
        detach(state);
        localStorage.removeItem(STORAGE_MODEL);
        renderModel(state);
      }
      await refreshModels(state);
    }, button);
  }
}
