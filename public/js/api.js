// The client of the recurrent REST API (see /openapi.json): every request the
// page makes to /api goes through api(), which adds the token and turns the
// error envelope into an ApiError.

import { $ } from './dom.js';

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field ?? null;
  }
}

export function authHeaders() {
  const token = $('api-token').value.trim();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// Calls the API; answers the parsed JSON (or text with `asText`), throws ApiError.
export async function api(method, path, { body, raw, asText = false, signal } = {}) {
  const headers = authHeaders();
  let payload;
  if (raw !== undefined) {
    payload = raw;
    headers['Content-Type'] = 'application/json';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, signal, cache: 'no-store' });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, 'network', 'the server cannot be reached');
  }
  const text = await response.text();
  if (!response.ok) {
    let envelope = null;
    try { envelope = JSON.parse(text).error; } catch { /* not JSON */ }
    throw new ApiError(response.status, envelope?.code ?? `http_${response.status}`,
      envelope?.message ?? (text.trim() || response.statusText || `status ${response.status}`), envelope?.field);
  }
  if (asText) return text;
  return text ? JSON.parse(text) : null;
}
