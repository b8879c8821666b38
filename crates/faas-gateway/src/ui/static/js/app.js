// The shell of the single-page UI: hash routes (#/functions, #/function/NAME, #/deploy,
// #/secrets, #/system), the namespace selector, and the page lifecycle (each page may return a
// function that stops its timers and streams when the user leaves it).

import { api, loadSession, logout } from './api.js';
import { h, clear } from './dom.js';
import * as functions from './functions.js';
import * as fn from './function.js';
import * as deploy from './deploy.js';
import * as secrets from './secrets.js';
import * as info from './info.js';

const pages = {
  functions: { title: 'Functions', render: functions.render },
  function: { title: 'Function', render: fn.render, nav: 'functions' },
  deploy: { title: 'Deploy', render: deploy.render },
  secrets: { title: 'Secrets', render: secrets.render },
  system: { title: 'System', render: info.render },
};

const STORED_NS = 'faas.namespace';
const select = document.getElementById('namespace');
const main = document.getElementById('main');
let namespace = localStorage.getItem(STORED_NS) || '';
let leave = null;
let shown = 0;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || 'functions', arg: parts[1], params: new URLSearchParams(query) };
}

function setNamespace(ns) {
  namespace = ns;
  localStorage.setItem(STORED_NS, ns);
  if (![...select.options].some((o) => o.value === ns)) select.append(h('option', {}, ns));
  select.value = ns;
}

async function loadNamespaces() {
  let list = [];
  try {
    list = (await api.namespaces()) || [];
  } catch (e) {
    clear(main, h('p', { class: 'error' }, e.message));
  }
  clear(select, list.map((ns) => h('option', { value: ns }, ns)));
  if (!namespace || !list.includes(namespace)) {
    namespace = list.includes('openfaas-fn') ? 'openfaas-fn' : list[0] || 'openfaas-fn';
  }
  setNamespace(namespace);
}

async function show(focus) {
  const mine = ++shown;
  if (leave) leave();
  leave = null;
  const { page, arg, params } = parseHash();
  if (params.get('ns')) setNamespace(params.get('ns'));
  const def = pages[page];
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === (def?.nav || page)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${def ? def.title : 'Not found'}${arg ? ` ${arg}` : ''} · faas`;
  if (!def) {
    clear(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/functions' }, 'Functions')));
    return;
  }
  try {
    const stop = await def.render(main, { ns: namespace, arg, params });
    if (mine !== shown) stop?.();
    else leave = stop || null;
  } catch (e) {
    if (mine === shown) clear(main, h('h1', {}, def.title), h('p', { class: 'error' }, e.message));
  }
  if (focus && mine === shown) {
    // A new page starts at the top, with the focus on it (for keyboards and screen readers).
    window.scrollTo(0, 0);
    main.focus({ preventScroll: true });
  }
}

select.addEventListener('change', () => {
  setNamespace(select.value);
  if (parseHash().page === 'function') location.hash = '#/functions';
  else show(false);
});
window.addEventListener('hashchange', () => show(true));

if (await loadSession()) {
  const out = h('button', { type: 'button', class: 'logout' }, 'Log out');
  out.addEventListener('click', logout);
  document.querySelector('.top').append(out);
}
await loadNamespaces();
await show(false);
