// The system page: the gateway's /system/info (gateway and provider versions, architecture) and
// the namespaces it serves.

import { api } from './api.js';
import { h, clear, dl } from './dom.js';

/** Renders the page into `main`. */
export async function render(main) {
  const [info, namespaces] = await Promise.all([api.info(), api.namespaces().catch(() => [])]);
  const provider = info.provider || {};
  const version = info.version || {};
  clear(
    main,
    h('h1', {}, 'System'),
    h(
      'div',
      { class: 'grid' },
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Gateway'),
        dl([
          ['Release', version.release || '—'],
          ['Commit', h('code', {}, version.sha || '—')],
          ['Message', version.commit_message || '—'],
          ['Architecture', info.arch || '—'],
        ]),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Provider'),
        dl([
          ['Name', provider.provider || '—'],
          ['Orchestration', provider.orchestration || '—'],
          ['Release', provider.version?.release || '—'],
          ['Commit', h('code', {}, provider.version?.sha || '—')],
        ]),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Namespaces'),
        h('ul', { class: 'chips' }, (namespaces || []).map((n) => h('li', {}, n))),
      ),
    ),
    h('details', { class: 'card' }, h('summary', {}, 'Raw /system/info'), h('pre', { class: 'output' }, JSON.stringify(info, null, 2))),
  );
  return null;
}
