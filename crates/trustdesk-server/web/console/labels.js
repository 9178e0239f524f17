// The open conversation's labels (chips: add, remove) and the macro menu
// that runs one of the desk's macros on it. Labels are slugs (a-z, 0-9,
// single hyphens, 1–40 characters), checked here too so a typo is refused
// before it is sent.
import { el } from '../lib/dom.js';
import { errorCode, errorMessage } from '../lib/api.js';
import { els, st, t } from './state.js';
import { api } from './session.js';
import { renderInbox } from './inbox.js';
import { renderHeader } from './conversation.js';
import { toast } from './actions.js';

export const LABEL_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function failed(r) {
  toast(errorMessage(r) || t('c.error', { code: errorCode(r) }));
}

// A conversation the server answered with: keep the inbox's copy in step.
function updated(c) {
  if (!c) return;
  if (st.convs.has(c.id)) st.convs.set(c.id, c);
  if (st.current && st.current.id === c.id) {
    st.current = c;
    renderHeader(); // draws the labels too
  }
  renderInbox();
}

async function changeLabels(add, remove) {
  const c = st.current;
  if (!c) return false;
  const r = await api('POST', '/v1/agent/conversations/' + encodeURIComponent(c.id) + '/labels', { add, remove });
  if (r.status !== 200) {
    failed(r);
    return false;
  }
  if (st.current && st.current.id === c.id) updated(Object.assign({}, st.current, { labels: r.data.labels || [] }));
  return true;
}

let drawnFor = null;

// Draws the chips of the open conversation; loads the macros when another
// conversation is opened.
export function renderLabels() {
  const c = st.current;
  const box = els['conv-labels'];
  if (!c) return;
  // Keep a label being typed across live updates of the conversation.
  const typing = box.querySelector('input');
  const draft = typing && drawnFor === c.id ? typing.value : '';
  const hadFocus = typing && document.activeElement === typing;
  box.textContent = '';
  (c.labels || []).forEach((label) => {
    const chip = el('span', 'chip label');
    chip.dataset.label = label;
    chip.appendChild(el('span', null, label));
    const x = el('button', 'chip-x', '×');
    x.type = 'button';
    x.setAttribute('aria-label', t('c.label_remove', { label }));
    x.addEventListener('click', () => changeLabels([], [label]));
    chip.appendChild(x);
    box.appendChild(chip);
  });
  const form = el('form', 'label-add');
  form.autocomplete = 'off';
  const input = el('input');
  input.type = 'text';
  input.maxLength = 40;
  input.placeholder = t('c.label_add_ph');
  input.setAttribute('aria-label', t('c.label_add'));
  input.setAttribute('list', 'label-options');
  input.value = draft;
  form.appendChild(input);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const label = input.value.trim();
    if (!label) return;
    if (!LABEL_RE.test(label) || label.length > 40) {
      toast(t('c.label_invalid'));
      input.select();
      return;
    }
    input.disabled = true;
    const ok = await changeLabels([label], []);
    input.disabled = false;
    const now = els['conv-labels'].querySelector('input');
    if (ok && now) now.value = '';
    if (now) now.focus();
  });
  box.appendChild(form);
  if (hadFocus) input.focus();
  if (drawnFor !== c.id) {
    drawnFor = c.id;
    loadMacros();
  }
}

// ---- macros ------------------------------------------------------------------

export async function loadMacros() {
  const r = await api('GET', '/v1/agent/macros');
  if (r.status !== 200) return;
  const list = Array.isArray(r.data) ? r.data : [];
  const same = list.length === st.macros.length && list.every((m, i) => m.id === st.macros[i].id && m.name === st.macros[i].name);
  st.macros = list;
  if (!same) drawMacros();
}

function drawMacros() {
  const sel = els['macro-select'];
  while (sel.options.length > 1) sel.remove(1);
  st.macros.forEach((m) => {
    const o = el('option', null, m.name);
    o.value = m.id;
    sel.appendChild(o);
  });
  sel.value = '';
  sel.hidden = st.macros.length === 0;
}

els['macro-select'].addEventListener('focus', loadMacros);
els['macro-select'].addEventListener('change', async () => {
  const sel = els['macro-select'];
  const id = sel.value;
  const m = st.macros.find((x) => x.id === id);
  sel.value = '';
  if (!m || !st.current) return;
  sel.disabled = true;
  const r = await api('POST', '/v1/agent/conversations/' + encodeURIComponent(st.current.id) + '/macros/' + encodeURIComponent(id), {});
  sel.disabled = false;
  if (r.status !== 200) {
    failed(r);
    return;
  }
  updated(r.data.conversation);
  const applied = r.data.applied || [];
  toast(applied.length ? t('c.macro_done', { name: m.name, actions: applied.join(', ') }) : t('c.macro_nothing', { name: m.name }), true);
});
