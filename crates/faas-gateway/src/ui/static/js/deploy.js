// The deploy page: pick a function from a store (the built-in one, a URL or a local file) to
// fill the form, or fill it by hand from an image name; then deploy (or update) it.

import { api } from './api.js';
import { h, clear, field, notify, busy, parsePairs, pairsText } from './dom.js';
import { parseStore, fetchStore, storeList } from './store.js';

/** Renders the page into `main`. */
export async function render(main, { ns }) {
  const [info, secrets] = await Promise.all([
    api.info().catch(() => ({})),
    api.secrets(ns).catch(() => []),
  ]);
  let items = [];
  const list = h('div');
  const filter = h('input', { type: 'search', placeholder: 'Filter by name or description', autocomplete: 'off' });
  const url = h('input', { type: 'url', placeholder: 'https://…/functions.json', autocomplete: 'url' });
  const file = h('input', { type: 'file', accept: '.json,application/json' });
  const source = h('p', { class: 'muted small', 'aria-live': 'polite' });

  const name = h('input', { type: 'text', required: true, pattern: '[a-z0-9]([a-z0-9\\-]*[a-z0-9])?', maxlength: 63, autocomplete: 'off', spellcheck: 'false' });
  const image = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'ghcr.io/openfaas/figlet:latest' });
  const fprocess = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const env = h('textarea', { rows: 3, spellcheck: 'false', placeholder: 'write_timeout=10s' });
  const labels = h('textarea', { rows: 3, spellcheck: 'false', placeholder: 'com.openfaas.scale.min=1' });
  const annotations = h('textarea', { rows: 2, spellcheck: 'false' });
  const readOnly = h('input', { type: 'checkbox' });
  const secretBoxes = (secrets || []).map((s) => h('input', { type: 'checkbox', value: s.name, id: `secret-${s.name}` }));

  function show() {
    const needle = filter.value.trim().toLowerCase();
    const shown = items.filter((f) => !needle || `${f.name} ${f.title} ${f.description}`.toLowerCase().includes(needle));
    clear(list, storeList(shown, use));
  }
  async function load(what, get) {
    try {
      items = parseStore(await get(), info.arch);
      source.textContent = `${items.length} functions from ${what}`;
      show();
    } catch (e) {
      notify(`Could not load the store from ${what}: ${e.message}`, 'error');
    }
  }
  function use(f) {
    name.value = f.name;
    image.value = f.image;
    fprocess.value = f.fprocess;
    env.value = pairsText(f.env);
    labels.value = pairsText(f.labels);
    annotations.value = pairsText(f.annotations);
    readOnly.checked = f.readOnlyRootFilesystem;
    notify(`${f.title} is in the form below: check it and deploy`);
    name.focus();
  }

  function deployment() {
    const d = {
      service: name.value.trim(),
      image: image.value.trim(),
      namespace: ns,
      envVars: parsePairs(env.value),
      labels: parsePairs(labels.value),
      annotations: parsePairs(annotations.value),
      secrets: secretBoxes.filter((b) => b.checked).map((b) => b.value),
      readOnlyRootFilesystem: readOnly.checked,
    };
    if (fprocess.value.trim()) d.envProcess = fprocess.value.trim();
    return d;
  }
  const deployButton = h('button', { type: 'submit', class: 'primary' }, 'Deploy');
  const updateButton = h('button', { type: 'button' }, 'Update existing');
  const send = (button, call, verb) =>
    busy(button, async () => {
      const d = deployment();
      await call(d);
      notify(`${verb} ${d.service} in ${ns}`);
      location.hash = `#/function/${encodeURIComponent(d.service)}`;
    });
  updateButton.addEventListener('click', () => {
    if (form.reportValidity()) send(updateButton, api.update, 'Updating');
  });
  const form = h(
    'form',
    {
      class: 'deploy',
      onsubmit: (e) => {
        e.preventDefault();
        send(deployButton, api.deploy, 'Deploying');
      },
    },
    h('div', { class: 'row' }, field('Name', name, 'lower-case letters, digits and dashes'), field('Image', image)),
    field('Process (fprocess)', fprocess, 'optional: the command the watchdog runs'),
    h('div', { class: 'row' }, field('Environment', env, 'KEY=VALUE per line'), field('Labels', labels, 'KEY=VALUE per line')),
    field('Annotations', annotations, 'KEY=VALUE per line'),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Secrets'),
      secretBoxes.length
        ? secretBoxes.map((b) => h('label', { class: 'check', for: b.id }, b, ` ${b.value}`))
        : h('p', { class: 'muted small' }, 'No secret in this namespace. ', h('a', { href: '#/secrets' }, 'Create one.')),
    ),
    h('label', { class: 'check' }, readOnly, ' Read-only root filesystem'),
    h('div', { class: 'actions' }, deployButton, updateButton),
  );

  const loadUrl = h('button', { type: 'button' }, 'Load');
  loadUrl.addEventListener('click', () => {
    if (url.value.trim()) busy(loadUrl, () => load(url.value.trim(), () => fetchStore(url.value.trim())));
  });
  const builtIn = h('button', { type: 'button' }, 'Built-in store');
  builtIn.addEventListener('click', () => load('the built-in store', () => fetchStore('store.json')));
  file.addEventListener('change', () => {
    const f = file.files[0];
    if (f) load(f.name, async () => JSON.parse(await f.text()));
  });
  filter.addEventListener('input', show);

  clear(
    main,
    h('h1', {}, 'Deploy a function'),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'From the store'),
      h(
        'div',
        { class: 'row sources' },
        h('div', { class: 'field' }, h('span', { class: 'label' }, 'Shipped with the gateway'), builtIn),
        h('div', { class: 'field url' }, field('Store URL', url), loadUrl),
        field('Store file', file),
      ),
      source,
      field('Filter', filter),
      list,
    ),
    h('section', { class: 'card' }, h('h2', {}, `Function (namespace ${ns})`), form),
  );
  await load('the built-in store', () => fetchStore('store.json'));
  return null;
}
