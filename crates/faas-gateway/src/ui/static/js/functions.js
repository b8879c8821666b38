// The functions page: every function of the namespace with its image, replicas (available /
// desired), invocation count and status, refreshed every few seconds.

import { api } from './api.js';
import { h, clear, replicaStatus } from './dom.js';

const REFRESH_MS = 4000;

function row(fn) {
  const href = `#/function/${encodeURIComponent(fn.name)}`;
  return h(
    'tr',
    { 'data-function': fn.name },
    h('th', { scope: 'row', 'data-label': 'Name' }, h('a', { href }, fn.name)),
    h('td', { 'data-label': 'Image' }, h('code', { class: 'image' }, fn.image)),
    h(
      'td',
      { 'data-label': 'Replicas', class: 'num replicas' },
      `${fn.availableReplicas ?? 0}/${fn.replicas ?? 0}`,
    ),
    h('td', { 'data-label': 'Invocations', class: 'num' }, String(Math.trunc(fn.invocationCount ?? 0))),
    h('td', { 'data-label': 'Status' }, replicaStatus(fn)),
  );
}

/** Renders the list into `main`; returns the function that stops refreshing. */
export async function render(main, { ns }) {
  const tbody = h('tbody');
  const note = h('p', { class: 'muted small' });
  clear(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Functions'),
      h('a', { class: 'button primary', href: '#/deploy' }, 'Deploy a function'),
    ),
    h(
      'table',
      { class: 'list' },
      h('caption', { class: 'sr-only' }, `Functions in namespace ${ns}`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Name'),
          h('th', { scope: 'col' }, 'Image'),
          h('th', { scope: 'col', class: 'num' }, 'Replicas', h('span', { class: 'sr-only' }, ' available of desired')),
          h('th', { scope: 'col', class: 'num' }, 'Invocations'),
          h('th', { scope: 'col' }, 'Status'),
        ),
      ),
      tbody,
    ),
    note,
  );
  async function refresh() {
    try {
      const list = ((await api.functions(ns)) || []).sort((a, b) => a.name.localeCompare(b.name));
      clear(
        tbody,
        list.length
          ? list.map(row)
          : h(
              'tr',
              {},
              h('td', { colspan: 5 }, `No function in ${ns} yet. `, h('a', { href: '#/deploy' }, 'Deploy one.')),
            ),
      );
      note.textContent = `Namespace ${ns} · updated ${new Date().toLocaleTimeString()} · refreshes every ${REFRESH_MS / 1000} s`;
      note.classList.remove('error');
    } catch (e) {
      note.textContent = e.message;
      note.classList.add('error');
    }
  }
  await refresh();
  const timer = setInterval(refresh, REFRESH_MS);
  return () => clearInterval(timer);
}
