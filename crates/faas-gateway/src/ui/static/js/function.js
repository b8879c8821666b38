// A function's page: what it runs, its replicas over time, scaling (to zero too), invoking it,
// following its logs, its labels, annotations, environment and secrets, and deleting it.

import { api } from './api.js';
import { h, clear, field, notify, busy, dl, replicaStatus } from './dom.js';
import { invokePanel } from './invoke.js';
import { logsPanel } from './logs.js';

const REFRESH_MS = 3000;
const HISTORY = 60;
const SVG = 'http://www.w3.org/2000/svg';

/** A small line chart of the available replicas seen while the page is open. */
function sparkline(samples) {
  const width = 240;
  const height = 48;
  const max = Math.max(1, ...samples);
  const step = width / Math.max(1, Math.min(HISTORY, Math.max(2, samples.length)) - 1);
  // One sample draws a flat line across.
  const drawn = samples.length === 1 ? [samples[0], samples[0]] : samples;
  const points = drawn
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 4 - (v / max) * (height - 8)).toFixed(1)}`)
    .join(' ');
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Available replicas over the last ${samples.length} samples, now ${samples.at(-1) ?? 0}`);
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points);
  svg.append(line);
  return svg;
}

function pairs(obj, empty) {
  const entries = Object.entries(obj || {});
  return entries.length ? dl(entries.map(([k, v]) => [k, h('code', {}, v)])) : h('p', { class: 'muted' }, empty);
}

/** Renders the page of function `name`; returns the function that stops its refresh and logs. */
export async function render(main, { ns, arg: name }) {
  let fn;
  try {
    fn = await api.function(name, ns);
  } catch (e) {
    clear(
      main,
      h('h1', {}, name),
      h('p', { class: 'error' }, e.status === 404 ? `No function ${name} in ${ns}.` : e.message),
      h('p', {}, h('a', { href: '#/functions' }, 'Back to the functions')),
    );
    return null;
  }
  const history = [];
  const overview = h('div');
  const chart = h('div', { class: 'chart' });
  const badge = h('span');
  const config = h('div', { class: 'config' });

  function paint() {
    history.push(fn.availableReplicas ?? 0);
    if (history.length > HISTORY) history.shift();
    clear(badge, replicaStatus(fn));
    clear(
      overview,
      dl([
        ['Image', h('code', { class: 'image' }, fn.image)],
        ['Replicas', h('span', { 'data-testid': 'replicas' }, `${fn.availableReplicas ?? 0}/${fn.replicas ?? 0}`), ' available/desired'],
        ['Invocations', String(Math.trunc(fn.invocationCount ?? 0))],
        ['Namespace', fn.namespace || ns],
        ['Process', fn.envProcess ? h('code', {}, fn.envProcess) : '(the image’s own)'],
        ['Created', fn.createdAt ? new Date(fn.createdAt).toLocaleString() : '—'],
      ]),
    );
    clear(chart, sparkline(history), h('p', { class: 'muted small' }, 'Available replicas while this page is open'));
    clear(
      config,
      h('section', {}, h('h3', {}, 'Secrets'), fn.secrets?.length
        ? h('ul', { class: 'chips' }, fn.secrets.map((s) => h('li', {}, h('a', { href: '#/secrets' }, s))))
        : h('p', { class: 'muted' }, 'No secret')),
      h('section', {}, h('h3', {}, 'Labels'), pairs(fn.labels, 'No label')),
      h('section', {}, h('h3', {}, 'Annotations'), pairs(fn.annotations, 'No annotation')),
      h('section', {}, h('h3', {}, 'Environment'), pairs(fn.envVars, 'No variable')),
    );
  }

  async function refresh() {
    try {
      fn = await api.function(name, ns);
      paint();
    } catch (e) {
      if (e.status === 404) clear(badge, h('span', { class: 'badge warn' }, 'Deleted'));
    }
  }

  const replicas = h('input', { type: 'number', min: 0, step: 1, value: fn.replicas ?? 1, inputmode: 'numeric', required: true });
  const scaleTo = (n, button) =>
    busy(button, async () => {
      await api.scale(name, ns, n);
      notify(`Scaling ${name} to ${n}`);
      replicas.value = n;
      await refresh();
    });
  const scaleButton = h('button', { type: 'submit', class: 'primary' }, 'Scale');
  const zeroButton = h('button', { type: 'button', onclick: (e) => scaleTo(0, e.currentTarget) }, 'Scale to zero');
  const scaleForm = h(
    'form',
    {
      class: 'inline',
      onsubmit: (e) => {
        e.preventDefault();
        scaleTo(Number(replicas.value), scaleButton);
      },
    },
    field('Replicas', replicas),
    scaleButton,
    zeroButton,
  );

  const deleteButton = h('button', { type: 'button', class: 'danger' }, 'Delete');
  deleteButton.addEventListener('click', () => {
    if (!confirm(`Delete function ${name} from ${ns}? Its replicas stop at once.`)) return;
    busy(deleteButton, async () => {
      await api.remove(name, ns);
      notify(`Deleted ${name}`);
      location.hash = '#/functions';
    });
  });

  const logs = logsPanel(name, ns);
  paint();
  clear(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/functions' }, 'Functions'), ` / ${ns}`),
    h('div', { class: 'page-head' }, h('h1', {}, name, ' ', badge), deleteButton),
    h(
      'div',
      { class: 'grid' },
      h('section', { class: 'card' }, h('h2', {}, 'Overview'), overview),
      h('section', { class: 'card' }, h('h2', {}, 'Replicas'), chart, scaleForm),
    ),
    invokePanel(name, ns),
    logs.el,
    h('section', { class: 'card' }, h('h2', {}, 'Configuration'), config),
  );
  const timer = setInterval(refresh, REFRESH_MS);
  return () => {
    clearInterval(timer);
    logs.stop();
  };
}
