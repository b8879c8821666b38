// Building the page without innerHTML: every string becomes a text node, never markup, so
// names, labels and function output cannot inject HTML.

let nextId = 0;

/** A fresh element id with this prefix (labels point at their inputs with it). */
export const uid = (prefix) => `${prefix}-${++nextId}`;

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** `h('button', {class: 'x', onclick: f}, 'Text')`: an element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** Replaces the children of `el`. */
export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled form field: `input` gets an id, the label points at it. */
export function field(label, input, hint) {
  if (!input.id) input.id = uid('f');
  const hintEl = hint ? h('small', { id: uid('hint') }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl);
}

let toastTimer;

/** A short message in the live region at the bottom of the page. */
export function notify(text, kind = 'ok') {
  const toast = document.getElementById('toast');
  toast.className = `show ${kind}`;
  toast.textContent = text;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    toast.className = '';
    toast.textContent = '';
  }, kind === 'error' ? 10000 : 5000);
}

/** Parses `KEY=VALUE` lines (blank lines and `#` comments skipped) into an object. */
export function parsePairs(text, sep = '=') {
  const out = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const at = line.indexOf(sep);
    if (at <= 0) throw new Error(`line ${i + 1} "${line}" is not KEY${sep}VALUE`);
    out[line.slice(0, at).trim()] = line.slice(at + sep.length).trim();
  });
  return out;
}

/** The inverse of `parsePairs`. */
export const pairsText = (obj, sep = '=') =>
  Object.entries(obj || {}).map(([k, v]) => `${k}${sep}${v}`).join('\n');

/** Runs `action` with `button` disabled, showing errors as a notice; returns its result. */
export async function busy(button, action) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } catch (e) {
    notify(e.message, 'error');
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/** A definition list of `[term, value]` pairs. */
export const dl = (pairs) =>
  h('dl', {}, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));

/** A status badge for a function's replicas. */
export function replicaStatus(fn) {
  const desired = fn.replicas ?? 0;
  const ready = fn.availableReplicas ?? 0;
  if (desired === 0 && ready === 0) return h('span', { class: 'badge idle' }, 'Scaled to zero');
  if (ready === 0) return h('span', { class: 'badge warn' }, 'Not ready');
  if (ready < desired) return h('span', { class: 'badge warn' }, 'Scaling');
  return h('span', { class: 'badge ok' }, 'Ready');
}
