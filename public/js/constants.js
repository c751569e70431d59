// Fixed settings of the page, shared by the modules that need them. Nothing
// here changes after the page loads.

export const STORAGE_MODEL = 'recurrent.currentModel';
export const STORAGE_TOKEN = 'recurrent.apiToken';
export const PRETRAINED_URL = 'pretrained/lstm-100.json';
export const DEFAULT_CORPUS_URL = 'default-corpus.txt';
export const SAMPLE_COUNT = 5;
export const SAMPLE_LENGTH = 100;
export const POLL_MS = 1000;
export const STREAM_RETRY_MS = 10000;
export const TRANSFER_HINT = 'The pretrained model is an LSTM with one layer of 100 units that this project trained on its default corpus.';
// `?updates=poll` skips the event stream (for proxies that buffer it, and for tests).
export const POLL_ONLY = new URLSearchParams(location.search).get('updates') === 'poll';

// Model statuses: a job that trains (or waits to), and one that Resume can restart.
export const ACTIVE = new Set(['running', 'queued']);
export const RESUMABLE = new Set(['idle', 'paused', 'failed', 'succeeded']);
