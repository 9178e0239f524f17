// The side panel of the open conversation: who the customer is, the SLA
// clocks, the customer's other conversations, their addresses on every
// channel and knowledge-base articles.
import { el, formatTime } from '../lib/dom.js';
import { i18n } from '../lib/i18n.js';
import { els, st, t } from './state.js';
import { api } from './session.js';
import { customerName, openConversation } from './conversation.js';
import { setMode } from './composer.js';

export function renderDetails() {
  const c = st.current;
  const cu = st.customer;
  const dl = els['details-list'];
  dl.textContent = '';
  const row = (k, v) => {
    if (v == null || v === '') return;
    dl.appendChild(el('dt', null, k));
    dl.appendChild(el('dd', null, v));
  };
  row(t('c.customer'), customerName());
  if (cu) {
    row(t('c.email'), cu.email);
    if (cu.external_id) row('user_id', cu.external_id + ' (' + t('c.verified') + ')');
  }
  row(t('c.channel'), i18n.v('ch', c.channel));
  row(t('c.language'), i18n.v('lang', c.language));
  row(t('c.category'), i18n.v('cat', c.category));
  row(t('c.priority'), i18n.v('pr', c.priority));
  row(t('c.id'), c.id);
  const rating = st.events.filter((e) => e.kind && e.kind.type === 'rated').pop();
  if (rating) row(t('c.csat'), rating.kind.score + '/5');
  els.details.hidden = false;
  suggestArticles();
  loadRelated();
  loadChannels();
  loadSla();
}

// The conversation's SLA clocks: each metric due, paused, done or missed.
let slaSeq = 0;
export async function loadSla() {
  const seq = ++slaSeq;
  const id = st.current && st.current.id;
  if (!id) return;
  const r = await api('GET', '/v1/agent/conversations/' + encodeURIComponent(id) + '/sla');
  if (seq !== slaSeq) return;
  const list = els['sla-list'];
  list.textContent = '';
  const clocks = r.status === 200 ? r.data.clocks || [] : [];
  if (!clocks.length) list.appendChild(el('li', 'empty', t('c.sla_none')));
  clocks.forEach((c) => {
    let text;
    let cls = 'ok';
    const at = c.due_at ? formatTime(c.due_at, i18n.lang) : '';
    if (c.stopped) text = t('c.sla_met');
    else if (c.paused) text = t('c.sla_paused');
    else if (c.status === 'breached') {
      text = t('c.sla_over', { at });
      cls = 'breached';
    } else {
      const min = Math.max(0, Math.round(c.remaining_ms / 60000));
      const left = min < 120 ? t('c.min_left', { n: min }) : t('c.h_left', { n: Math.round(min / 60) });
      text = t('c.sla_due', { at, left });
      if (c.status === 'warning') cls = 'warning';
    }
    const li = el('li', 'sla-item ' + cls);
    li.appendChild(el('span', 'sla-metric', t('sla.' + c.metric)));
    li.appendChild(el('span', 'sla-state', text));
    list.appendChild(li);
  });
}

// The customer's other conversations (history across conversations).
let relatedSeq = 0;
async function loadRelated() {
  const seq = ++relatedSeq;
  const id = st.current && st.current.id;
  if (!id) return;
  const r = await api('GET', '/v1/agent/conversations/' + encodeURIComponent(id) + '/related');
  if (seq !== relatedSeq) return;
  const convs = r.status === 200 ? r.data.conversations || [] : [];
  const list = els['related-list'];
  list.textContent = '';
  els['related-empty'].hidden = convs.length > 0;
  convs.forEach((c) => {
    const li = el('li', 'related-item');
    const b = el('button', 'link-btn', c.subject || t('c.no_subject'));
    b.type = 'button';
    b.addEventListener('click', () => openConversation(c.id));
    li.appendChild(b);
    li.appendChild(el('span', 'chip st-' + c.status, t('st.' + c.status)));
    li.appendChild(el('span', 'time', formatTime(c.updated_at, i18n.lang)));
    list.appendChild(li);
  });
}

// Where replies go, every address the customer has used on any channel,
// and the conversations this one continues or is continued by.
let channelsSeq = 0;
async function loadChannels() {
  const seq = ++channelsSeq;
  const id = st.current && st.current.id;
  if (!id) return;
  const r = await api('GET', '/v1/agent/conversations/' + encodeURIComponent(id) + '/channels');
  if (seq !== channelsSeq) return;
  const list = els['channels-list'];
  list.textContent = '';
  if (r.status !== 200) return;
  const view = r.data;
  if (view.reply_to) {
    list.appendChild(el('li', 'channel-reply', t('c.reply_to', { addr: view.reply_to, ch: i18n.v('ch', view.channel) })));
  }
  (view.identities || []).forEach((i) => {
    const li = el('li', 'channel-identity');
    li.appendChild(el('span', 'chip', i18n.v('ch', i.channel)));
    li.appendChild(el('span', null, ' ' + i.address + (i.display_name ? ' · ' + i.display_name : '')));
    li.appendChild(el('span', 'time', t('c.since', { at: formatTime(i.since, i18n.lang) })));
    list.appendChild(li);
  });
  (view.links || []).forEach((l) => {
    const newer = l.conversation_id === id;
    const other = newer ? l.linked_id : l.conversation_id;
    const li = el('li', 'channel-link');
    const b = el('button', 'link-btn', t(newer ? 'c.continues' : 'c.continued_by'));
    b.type = 'button';
    b.addEventListener('click', () => openConversation(other));
    li.appendChild(b);
    li.appendChild(el('span', 'time', t(l.reason === 'other_sender' ? 'c.link_other_sender' : 'c.link_closed')));
    list.appendChild(li);
  });
}

// ---- knowledge-base suggestions ---------------------------------------------------------

// Articles for the open conversation: searched with the customer's latest
// message, in the conversation's language. "Insert" puts the title and
// the excerpt in the composer for the agent to edit.
let kbSeq = 0;
export async function suggestArticles() {
  const seq = ++kbSeq;
  const last = st.events.filter((e) => e.kind && e.kind.type === 'message' && e.actor && e.actor.type === 'customer').pop();
  const list = els['kb-list'];
  if (!last) {
    list.textContent = '';
    els['kb-empty'].hidden = false;
    return;
  }
  const q = Array.from(last.kind.body).slice(0, 400).join('');
  const locale = st.current && st.current.language && st.current.language !== 'other' ? '&locale=' + st.current.language : '';
  const r = await api('GET', '/v1/kb/search?limit=3&q=' + encodeURIComponent(q) + locale);
  if (seq !== kbSeq) return;
  const hits = r.status === 200 ? r.data.hits || [] : [];
  list.textContent = '';
  els['kb-empty'].hidden = hits.length > 0;
  hits.forEach((h) => {
    const li = el('li', 'kb-item');
    li.appendChild(el('span', 'kb-title', h.title));
    li.appendChild(el('p', 'kb-snippet', h.snippet));
    const b = el('button', 'btn small', t('c.kb_insert'));
    b.type = 'button';
    b.setAttribute('aria-label', t('c.kb_insert') + ': ' + h.title);
    b.addEventListener('click', () => {
      const text = h.title + '\n' + h.snippet;
      els.compose.value = els.compose.value ? els.compose.value + '\n\n' + text : text;
      setMode('reply');
      els.compose.focus();
    });
    li.appendChild(b);
    list.appendChild(li);
  });
}
