// The secrets page: the names of the namespace's secrets, and forms to create, replace and
// delete one. Values go to the gateway only; the API never returns them, so none is shown.

import { api } from './api.js';
import { h, clear, field, notify, busy } from './dom.js';

/** Renders the page into `main`. */
export async function render(main, { ns }) {
  const tbody = h('tbody');
  const name = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false', pattern: '[a-z0-9]([a-z0-9\\-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9\\-]*[a-z0-9])?)*' });
  const value = h('textarea', { rows: 3, required: true, autocomplete: 'off', spellcheck: 'false', class: 'secret-value' });
  const mode = h('h2', { id: 'secret-form-title' }, 'Create a secret');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create');
  const cancel = h('button', { type: 'button', hidden: true }, 'Cancel');
  let replacing = false;

  function setMode(replace, secretName = '') {
    replacing = replace;
    mode.textContent = replace ? `Replace the value of ${secretName}` : 'Create a secret';
    submit.textContent = replace ? 'Replace' : 'Create';
    name.value = secretName;
    name.readOnly = replace;
    value.value = '';
    cancel.hidden = !replace;
    (replace ? value : name).focus();
  }
  cancel.addEventListener('click', () => setMode(false));

  async function refresh() {
    const list = ((await api.secrets(ns)) || []).sort((a, b) => a.name.localeCompare(b.name));
    clear(
      tbody,
      list.length
        ? list.map((s) => {
            const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${s.name}` }, 'Delete');
            del.addEventListener('click', () => {
              if (!confirm(`Delete secret ${s.name} from ${ns}? Functions using it can no longer be deployed.`)) return;
              busy(del, async () => {
                await api.deleteSecret(s.name, ns);
                notify(`Deleted secret ${s.name}`);
                await refresh();
              });
            });
            return h(
              'tr',
              { 'data-secret': s.name },
              h('th', { scope: 'row' }, s.name),
              h(
                'td',
                {},
                h(
                  'div',
                  { class: 'actions end' },
                  h('button', { type: 'button', 'aria-label': `Replace ${s.name}`, onclick: () => setMode(true, s.name) }, 'Replace'),
                  del,
                ),
              ),
            );
          })
        : h('tr', {}, h('td', { colspan: 2 }, `No secret in ${ns}.`)),
    );
  }

  const form = h(
    'form',
    {
      'aria-labelledby': 'secret-form-title',
      onsubmit: (e) => {
        e.preventDefault();
        busy(submit, async () => {
          const n = name.value.trim();
          if (replacing) await api.replaceSecret(n, ns, value.value);
          else await api.createSecret(n, ns, value.value);
          notify(`${replacing ? 'Replaced' : 'Created'} secret ${n}`);
          setMode(false);
          await refresh();
        });
      },
    },
    field('Name', name, 'lower-case letters, digits, dashes and dots'),
    field('Value', value, 'stored as is; never shown again. Functions read it from /var/openfaas/secrets/NAME'),
    h('div', { class: 'actions' }, submit, cancel),
  );

  clear(
    main,
    h('h1', {}, 'Secrets'),
    h(
      'div',
      { class: 'grid' },
      h(
        'section',
        { class: 'card' },
        h('h2', {}, `In ${ns}`),
        h('table', { class: 'list secrets' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))), tbody),
      ),
      h('section', { class: 'card' }, mode, form),
    ),
  );
  await refresh();
  return null;
}
