// The function store: a JSON list of ready-made functions (the OpenFaaS store format, version
// 0.2.0 `{functions: [...]}` with `images` per architecture, or an older plain array with
// `image`), loaded from the copy shipped in the binary, a URL or a local file.

import { h } from './dom.js';

/** The store's key for the gateway's machine architecture (`/system/info`'s `arch`). */
function archKey(arch) {
  if (/^(aarch64|arm64)/.test(arch || '')) return 'arm64';
  if (/^arm/.test(arch || '')) return 'armhf';
  return 'x86_64';
}

/** The store entries of `json` that have an image for `arch`, normalised. */
export function parseStore(json, arch) {
  const list = Array.isArray(json) ? json : json?.functions;
  if (!Array.isArray(list)) throw new Error('not a function store: expected {"functions": [...]} or a list');
  const key = archKey(arch);
  return list
    .map((f) => ({
      title: f.title || f.name,
      name: f.name,
      description: f.description || '',
      image: f.images ? f.images[key] : f.image,
      fprocess: f.fprocess || '',
      env: f.environment || {},
      labels: f.labels || {},
      annotations: f.annotations || {},
      readOnlyRootFilesystem: Boolean(f.readOnlyRootFilesystem),
      repo: f.repo_url || '',
    }))
    .filter((f) => f.name && f.image);
}

/** Loads a store from a URL (the built-in one is `store.json`, next to this page). */
export async function fetchStore(url) {
  const r = await fetch(url, { credentials: url.startsWith('http') ? 'omit' : 'same-origin' });
  if (!r.ok) throw new Error(`${url}: ${r.status} ${r.statusText}`);
  return r.json();
}

/** The store as a list of cards, each with a button handing its entry to `use`. */
export function storeList(items, use) {
  if (!items.length) return h('p', { class: 'muted' }, 'No function in this store matches.');
  return h(
    'ul',
    { class: 'store' },
    items.map((f) =>
      h(
        'li',
        { class: 'card', 'data-store': f.name },
        h('h3', {}, f.title),
        h('p', {}, f.description),
        h('p', {}, h('code', { class: 'image' }, f.image)),
        h('button', { type: 'button', 'aria-label': `Use ${f.title}`, onclick: () => use(f) }, 'Use'),
      ),
    ),
  );
}
