// The logs panel of a function's page: follows /system/logs?follow=true and appends each line as
// it arrives, until the user stops it or leaves the page.

import { followLogs } from './api.js';
import { h, notify } from './dom.js';

const MAX_LINES = 1000;

/** The panel for function `name` in `ns`: `{ el, stop }`. */
export function logsPanel(name, ns) {
  const out = h('pre', { class: 'logs', role: 'log', 'aria-label': `Logs of ${name}`, tabindex: 0, 'data-testid': 'logs' });
  const state = h('span', { class: 'muted small', 'aria-live': 'polite' }, 'Not following');
  const toggle = h('button', { type: 'button', class: 'primary', 'aria-pressed': 'false' }, 'Follow logs');
  const clearButton = h('button', { type: 'button', onclick: () => out.replaceChildren() }, 'Clear');
  let controller = null;

  function add(msg) {
    const nearBottom = out.scrollTop + out.clientHeight >= out.scrollHeight - 24;
    const time = msg.timestamp ? new Date(msg.timestamp).toLocaleTimeString() : '';
    out.append(
      h('span', { class: 'line' }, h('span', { class: 'when' }, time), ' ', h('span', { class: 'who' }, msg.instance || ''), ' ', msg.text ?? ''),
      '\n',
    );
    while (out.childNodes.length > MAX_LINES * 2) {
      out.firstChild.remove();
      out.firstChild.remove();
    }
    if (nearBottom) out.scrollTop = out.scrollHeight;
  }

  function stop() {
    if (controller) controller.abort();
    controller = null;
    toggle.textContent = 'Follow logs';
    toggle.setAttribute('aria-pressed', 'false');
    state.textContent = 'Not following';
  }

  async function follow() {
    const mine = new AbortController();
    controller = mine;
    toggle.textContent = 'Stop following';
    toggle.setAttribute('aria-pressed', 'true');
    state.textContent = 'Following…';
    try {
      for await (const msg of followLogs(name, ns, mine.signal)) add(msg);
      if (controller === mine) state.textContent = 'The stream ended';
    } catch (e) {
      if (e.name !== 'AbortError') notify(e.message, 'error');
    }
    if (controller === mine) {
      controller = null;
      toggle.textContent = 'Follow logs';
      toggle.setAttribute('aria-pressed', 'false');
    }
  }

  toggle.addEventListener('click', () => (controller ? stop() : follow()));
  const el = h(
    'section',
    { class: 'card', 'aria-labelledby': 'logs-title' },
    h('div', { class: 'page-head' }, h('h2', { id: 'logs-title' }, 'Logs'), h('div', { class: 'actions' }, state, toggle, clearButton)),
    out,
  );
  return { el, stop };
}
