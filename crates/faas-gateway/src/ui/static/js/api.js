// The gateway's own HTTP API, called with the credentials the browser already holds for this
// origin (the same basic auth as /system/*).

/** An answer other than 2xx: its status and the gateway's one-line message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(status === 401 ? 'Not logged in (401): reload the page to log in again.' : message);
    this.status = status;
  }
}

// The CSRF token of a session opened with the login form; null with basic auth.
let csrf = null;

/** Learns whether the page runs on a login-form session; resolves to true if so. */
export async function loadSession() {
  try {
    const r = await fetch('session', { credentials: 'same-origin' });
    if (r.ok) csrf = (await r.json()).csrf;
  } catch {
    csrf = null;
  }
  return Boolean(csrf);
}

/** Ends the login-form session. */
export async function logout() {
  await fetch('logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf || '' } });
  location.href = 'login';
}

/** Sends a JSON request; resolves to the parsed JSON, the text, or null for an empty body. */
export async function request(method, path, body) {
  const init = { method, headers: {}, credentials: 'same-origin' };
  if (csrf && method !== 'GET') init.headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const r = await fetch(path, init);
  const text = await r.text();
  if (!r.ok) throw new ApiError(r.status, `${r.status} ${text.trim() || r.statusText}`);
  if (!text) return null;
  return (r.headers.get('content-type') || '').includes('json') ? JSON.parse(text) : text;
}

const q = encodeURIComponent;

/** One function per route the UI uses. */
export const api = {
  functions: (ns) => request('GET', `/system/functions?namespace=${q(ns)}`),
  function: (name, ns) => request('GET', `/system/function/${q(name)}?namespace=${q(ns)}`),
  deploy: (d) => request('POST', '/system/functions', d),
  update: (d) => request('PUT', '/system/functions', d),
  remove: (name, ns) =>
    request('DELETE', '/system/functions', { functionName: name, namespace: ns }),
  scale: (name, ns, replicas) =>
    request('POST', `/system/scale-function/${q(name)}`, {
      serviceName: name,
      namespace: ns,
      replicas,
    }),
  secrets: (ns) => request('GET', `/system/secrets?namespace=${q(ns)}`),
  createSecret: (name, ns, value) =>
    request('POST', '/system/secrets', { name, namespace: ns, value }),
  replaceSecret: (name, ns, value) =>
    request('PUT', '/system/secrets', { name, namespace: ns, value }),
  deleteSecret: (name, ns) => request('DELETE', '/system/secrets', { name, namespace: ns }),
  namespaces: () => request('GET', '/system/namespaces'),
  info: () => request('GET', '/system/info'),
};

/**
 * Follows a function's logs: yields each NDJSON message of /system/logs?follow=true as it
 * arrives, until the stream ends or `signal` aborts.
 */
export async function* followLogs(name, ns, signal, tail = 50) {
  const url = `/system/logs?name=${q(name)}&namespace=${q(ns)}&follow=true&tail=${tail}`;
  const r = await fetch(url, { signal, credentials: 'same-origin' });
  if (!r.ok) throw new ApiError(r.status, `${r.status} ${(await r.text()).trim()}`);
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        yield JSON.parse(line);
      } catch {
        yield { text: line };
      }
    }
  }
}
