// Uploads a large training text to POST /api/corpora, streamed by the
// browser from the file on disk (never read into a string), reporting upload
// progress. XMLHttpRequest rather than fetch: only it reports the progress
// of a request body. The answer is the stored corpus: id, bytes, characters,
// vocabulary, sha256; a model trains on it with {"corpus": "text",
// "corpus_id": id}.

import { ApiError, authHeaders } from './api.js';

// uploadCorpus(file, { onProgress, signal }) → Promise of the corpus JSON.
// onProgress({ loaded, total, fraction }) follows the bytes sent; `signal`
// (an AbortSignal) cancels the upload, and the server then keeps nothing.
// Fails with an ApiError: the API's error envelope (413 corpus_too_large,
// 422 invalid_text / not_text / empty_corpus naming the byte offset), or
// code 'network' / 'aborted'.
export function uploadCorpus(file, { onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', '/api/corpora');
    request.setRequestHeader('Content-Type', 'text/plain; charset=utf-8');
    for (const [name, value] of Object.entries(authHeaders())) request.setRequestHeader(name, value);
    request.responseType = 'text';
    if (onProgress) {
      request.upload.addEventListener('progress', (event) => {
        const total = event.lengthComputable ? event.total : file.size;
        onProgress({ loaded: event.loaded, total, fraction: total > 0 ? event.loaded / total : 1 });
      });
    }
    request.addEventListener('load', () => {
      let parsed = null;
      try { parsed = JSON.parse(request.responseText); } catch { /* not JSON */ }
      if (request.status === 201 && parsed) {
        if (onProgress) onProgress({ loaded: file.size, total: file.size, fraction: 1 });
        resolve(parsed);
        return;
      }
      const envelope = parsed?.error;
      reject(new ApiError(request.status, envelope?.code ?? `http_${request.status}`,
        envelope?.message ?? (request.responseText.trim() || `status ${request.status}`), envelope?.field));
    });
    request.addEventListener('error', () => reject(new ApiError(0, 'network', 'the server cannot be reached')));
    request.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'the upload was cancelled')));
    if (signal) {
      if (signal.aborted) { request.abort(); return; }
      signal.addEventListener('abort', () => request.abort(), { once: true });
    }
    request.send(file);
  });
}
