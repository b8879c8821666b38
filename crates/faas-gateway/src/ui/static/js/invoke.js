// The invoke panel of a function's page: a request with method, path, content type, headers
// and body, sent to /function/NAME.NAMESPACE (or queued on /async-function/ with an optional
// callback URL), and its answer: status, duration, headers, and the body as text, JSON or a
// download.

import { h, clear, field, parsePairs, busy, notify } from './dom.js';

const METHODS = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE'];

function requestHeaders(contentType, text) {
  const headers = parsePairs(text, ':');
  if (contentType) headers['Content-Type'] = contentType;
  return headers;
}

function bodyView(bytes, type, name) {
  const text = new TextDecoder().decode(bytes);
  let json = null;
  try {
    if (text.trim()) json = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    json = null;
  }
  const pre = h('pre', { class: 'output', 'data-testid': 'invoke-body', tabindex: 0 }, text);
  const url = URL.createObjectURL(new Blob([bytes], { type: type || 'application/octet-stream' }));
  const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': 'Show the body as' });
  const modes = [
    ['Text', () => (pre.textContent = text)],
    ['JSON', json ? () => (pre.textContent = json) : null],
  ];
  for (const [label, show] of modes) {
    const b = h('button', { type: 'button', disabled: !show, 'aria-pressed': label === 'Text' ? 'true' : 'false' }, label);
    b.addEventListener('click', () => {
      show();
      for (const other of tabs.querySelectorAll('button')) other.setAttribute('aria-pressed', String(other === b));
    });
    tabs.append(b);
  }
  tabs.append(h('a', { class: 'button', href: url, download: `${name}-response` }, 'Download'));
  return [tabs, pre, url];
}

/** The invoke panel for function `name` in `ns`. */
export function invokePanel(name, ns) {
  const method = h('select', {}, METHODS.map((m) => h('option', {}, m)));
  const path = h('input', { type: 'text', placeholder: '/', autocomplete: 'off', spellcheck: 'false' });
  const contentType = h('input', { type: 'text', value: 'text/plain', autocomplete: 'off', spellcheck: 'false' });
  const headers = h('textarea', { rows: 2, placeholder: 'X-Example: value', spellcheck: 'false' });
  const body = h('textarea', { rows: 5, spellcheck: 'false' });
  const callback = h('input', { type: 'url', placeholder: 'http://receiver.example/done', autocomplete: 'off' });
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const invokeButton = h('button', { type: 'submit', class: 'primary' }, 'Invoke');
  const asyncButton = h('button', { type: 'button' }, 'Invoke async');
  let lastUrl = null;

  const target = (prefix) => {
    const p = path.value.trim();
    return `/${prefix}/${encodeURIComponent(name)}.${encodeURIComponent(ns)}${p && !p.startsWith('/') ? '/' : ''}${p}`;
  };
  const init = (m) => ({
    method: m,
    headers: requestHeaders(contentType.value.trim(), headers.value),
    body: m === 'GET' || m === 'HEAD' ? undefined : body.value,
    // The gateway's credentials are never sent to a function.
    credentials: 'omit',
    redirect: 'manual',
  });

  async function invoke() {
    const started = performance.now();
    const r = await fetch(target('function'), init(method.value));
    const bytes = new Uint8Array(await r.arrayBuffer());
    const ms = performance.now() - started;
    if (lastUrl) URL.revokeObjectURL(lastUrl);
    const [tabs, pre, url] = bodyView(bytes, r.headers.get('content-type'), name);
    lastUrl = url;
    clear(
      result,
      h(
        'p',
        { class: `status ${r.ok ? 'ok' : 'bad'}`, 'data-testid': 'invoke-status' },
        h('strong', {}, `${r.status} ${r.statusText}`),
        ` · ${ms.toFixed(0)} ms · ${bytes.length} bytes`,
      ),
      h(
        'details',
        {},
        h('summary', {}, 'Response headers'),
        h('table', { class: 'headers' }, h('tbody', {}, [...r.headers].map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v))))),
      ),
      tabs,
      pre,
    );
  }

  async function invokeAsync() {
    const i = init('POST');
    const cb = callback.value.trim();
    if (cb) i.headers['X-Callback-Url'] = cb;
    const r = await fetch(target('async-function'), i);
    const text = (await r.text()).trim();
    const id = r.headers.get('x-call-id');
    clear(
      result,
      h(
        'p',
        { class: `status ${r.status === 202 ? 'ok' : 'bad'}`, 'data-testid': 'invoke-status' },
        h('strong', {}, `${r.status} ${r.statusText}`),
        r.status === 202 ? ` · queued${id ? `, call id ${id}` : ''}${cb ? `; the result goes to ${cb}` : ''}` : '',
      ),
      text ? h('pre', { class: 'output', 'data-testid': 'invoke-body' }, text) : null,
    );
  }

  const run = (button, action) =>
    busy(button, async () => {
      try {
        await action();
      } catch (e) {
        notify(e instanceof TypeError ? `The request failed: ${e.message}` : e.message, 'error');
      }
    });
  asyncButton.addEventListener('click', () => run(asyncButton, invokeAsync));

  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'invoke-title' },
    h('h2', { id: 'invoke-title' }, 'Invoke'),
    h(
      'form',
      {
        class: 'invoke',
        onsubmit: (e) => {
          e.preventDefault();
          run(invokeButton, invoke);
        },
      },
      h('div', { class: 'row' }, field('Method', method), field('Path', path, 'after /function/NAME, e.g. /items?id=1'), field('Content type', contentType)),
      field('Headers', headers, 'one "Name: value" per line'),
      field('Body', body),
      h('div', { class: 'actions' }, invokeButton),
      h(
        'fieldset',
        { class: 'async' },
        h('legend', {}, 'Asynchronous (queued, answers 202 at once)'),
        field('Callback URL', callback, 'optional: receives the result when the call has run'),
        asyncButton,
      ),
    ),
    result,
  );
}
