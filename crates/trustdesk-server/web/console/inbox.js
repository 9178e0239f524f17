// The inbox: the filters, the live list of conversations, moving through it.
import { el, formatTime } from '../lib/dom.js';
import { i18n } from '../lib/i18n.js';
import { els, st, t } from './state.js';
import { api } from './session.js';
import { openConversation, renderHeader } from './conversation.js';

const FILTERS = {
  mine: {
    query: 'status=open,pending,snoozed&assignee=me',
    match: (c) => ['open', 'pending', 'snoozed'].includes(c.status) && st.me && c.assignee_id === st.me.id,
  },
  unassigned: {
    query: 'status=open,pending&assignee=unassigned',
    match: (c) => ['open', 'pending'].includes(c.status) && !c.assignee_id,
  },
  open: {
    query: 'status=open,pending,snoozed',
    match: (c) => ['open', 'pending', 'snoozed'].includes(c.status),
  },
  team: {
    query: () => 'status=open,pending,snoozed&team=' + encodeURIComponent((st.me && st.me.team_id) || ''),
    match: (c) => ['open', 'pending', 'snoozed'].includes(c.status) && st.me && !!st.me.team_id && c.team_id === st.me.team_id,
  },
  urgent: {
    query: 'status=open,pending,snoozed&urgent=true',
    match: (c) => ['open', 'pending', 'snoozed'].includes(c.status) && c.urgent,
  },
  sla: {
    // Computed by the server from each conversation's SLA clocks; kept
    // fresh on SLA notices and every minute while shown.
    path: '/v1/agent/sla/at-risk',
    match: (c) => st.convs.has(c.id) && ['open', 'pending', 'snoozed'].includes(c.status),
  },
  resolved: {
    query: 'status=resolved,closed',
    match: (c) => ['resolved', 'closed'].includes(c.status),
  },
};

export function agentName(id) {
  const a = id && st.agents.get(id);
  return a ? a.display_name : id ? id.slice(0, 8) : '';
}

// ---- inbox -----------------------------------------------------------------

export function setFilter(name, focus) {
  st.filter = name;
  document.querySelectorAll('.filters [role=tab]').forEach((b) => {
    const on = b.dataset.filter === name;
    b.setAttribute('aria-selected', on ? 'true' : 'false');
    b.tabIndex = on ? 0 : -1;
    if (on && focus) b.focus();
  });
  loadInbox();
}

document.querySelectorAll('.filters [role=tab]').forEach((b) => {
  b.addEventListener('click', () => setFilter(b.dataset.filter, false));
  b.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const tabs = Array.from(document.querySelectorAll('.filters [role=tab]'));
    const i = tabs.indexOf(b) + (e.key === 'ArrowRight' ? 1 : -1);
    setFilter(tabs[(i + tabs.length) % tabs.length].dataset.filter, true);
  });
});

// ---- search: text (subject, messages, notes) and a label, on top of the filter

function searchQuery() {
  let q = '';
  if (st.search.q) q += '&q=' + encodeURIComponent(st.search.q);
  if (st.search.label) q += '&label=' + encodeURIComponent(st.search.label);
  return q;
}

let searchTimer = null;
function onSearchInput() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    const q = els['inbox-q'].value.trim().slice(0, 200);
    const label = els['inbox-label'].value.trim().toLowerCase();
    if (q === st.search.q && label === st.search.label) return;
    st.search = { q, label };
    loadInbox();
  }, 250);
}
els['inbox-q'].addEventListener('input', onSearchInput);
els['inbox-label'].addEventListener('input', onSearchInput);
els['inbox-search'].addEventListener('submit', (e) => {
  e.preventDefault();
  onSearchInput();
});

// The labels seen in the inbox, offered by the label inputs.
const seenLabels = new Set();
function rememberLabels(c) {
  let added = false;
  (c.labels || []).forEach((l) => {
    if (!seenLabels.has(l)) {
      seenLabels.add(l);
      added = true;
    }
  });
  if (!added) return;
  const list = els['label-options'];
  list.textContent = '';
  Array.from(seenLabels).sort().forEach((l) => {
    const o = document.createElement('option');
    o.value = l;
    list.appendChild(o);
  });
}

export async function loadInbox() {
  const seq = ++st.inboxSeq;
  const filter = st.filter;
  const f = FILTERS[filter];
  const q = typeof f.query === 'function' ? f.query() : f.query;
  const r = await api('GET', f.path || '/v1/agent/conversations?limit=100&' + q + searchQuery());
  if (seq !== st.inboxSeq || r.status !== 200) return;
  st.convs.clear();
  (r.data.conversations || []).forEach((c) => {
    rememberLabels(c);
    // the at-risk list has no search parameters: narrow it here
    if (f.path && !searchMatch(c, true)) return;
    st.convs.set(c.id, c);
  });
  renderInbox();
}

// Whether a live update still fits the search. The text cannot be matched
// here: a conversation already found stays, a new one waits for a reload.
function searchMatch(c, loaded) {
  if (st.search.label && !(c.labels || []).includes(st.search.label)) return false;
  if (st.search.q && !loaded && !st.convs.has(c.id)) return false;
  if (st.search.q && loaded && FILTERS[st.filter].path) {
    return (c.subject || '').toLowerCase().includes(st.search.q.toLowerCase());
  }
  return true;
}

export function onConversation(c) {
  rememberLabels(c);
  if (FILTERS[st.filter].match(c) && searchMatch(c, false)) st.convs.set(c.id, c);
  else st.convs.delete(c.id);
  if (st.current && c.id === st.current.id) {
    st.current = c;
    renderHeader();
  } else {
    st.unread.add(c.id);
  }
  renderInbox();
}

function sortedConvs() {
  return Array.from(st.convs.values()).sort((a, b) => b.updated_at - a.updated_at);
}

export function renderInbox() {
  const list = els['inbox-list'];
  list.textContent = '';
  const convs = sortedConvs();
  els['inbox-empty'].hidden = convs.length > 0;
  convs.forEach((c) => {
    const li = el('li', 'inbox-item');
    li.setAttribute('role', 'option');
    li.dataset.id = c.id;
    const selected = st.current && st.current.id === c.id;
    li.setAttribute('aria-selected', selected ? 'true' : 'false');
    li.tabIndex = selected || (!st.current && list.children.length === 0) ? 0 : -1;
    if (st.unread.has(c.id) && !selected) li.classList.add('unread');
    const top = el('div', 'row');
    top.appendChild(el('span', 'subject', c.subject || t('c.no_subject')));
    top.appendChild(el('span', 'time', formatTime(c.updated_at, i18n.lang)));
    li.appendChild(top);
    const bottom = el('div', 'row tags');
    bottom.appendChild(el('span', 'chip st-' + c.status, t('st.' + c.status)));
    if (c.urgent) bottom.appendChild(el('span', 'chip urgent', t('c.urgent')));
    if (c.language) bottom.appendChild(el('span', 'chip', i18n.v('lang', c.language)));
    (c.labels || []).slice(0, 3).forEach((l) => bottom.appendChild(el('span', 'chip label', l)));
    bottom.appendChild(el('span', 'assignee', c.assignee_id ? agentName(c.assignee_id) : t('c.unassigned')));
    li.appendChild(bottom);
    li.addEventListener('click', () => openConversation(c.id));
    li.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        openConversation(c.id);
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const sib = e.key === 'ArrowDown' ? li.nextElementSibling : li.previousElementSibling;
        if (sib) sib.focus();
      }
    });
    list.appendChild(li);
  });
}

export function step(delta) {
  const convs = sortedConvs();
  if (!convs.length) return;
  let i = st.current ? convs.findIndex((c) => c.id === st.current.id) : -1;
  i = i < 0 ? 0 : Math.max(0, Math.min(convs.length - 1, i + delta));
  openConversation(convs[i].id);
}
