// The open conversation: loading it, following it live, and drawing its
// events (messages, notes, files, status and routing lines).
import { el, formatTime, insertBySeq, showFile } from '../lib/dom.js';
import { i18n } from '../lib/i18n.js';
import { els, st, t } from './state.js';
import { api } from './session.js';
import { agentName, renderInbox } from './inbox.js';
import { loadSla, renderDetails, suggestArticles } from './details.js';
import { acked, drawPending } from './composer.js';
import { teamName, toast } from './actions.js';
import { renderLabels } from './labels.js';

// ---- the conversation -------------------------------------------------------

export async function openConversation(id) {
  if (st.current && st.current.id !== id && st.socket) {
    st.socket.send({ type: 'unsubscribe', conversation_id: st.current.id });
  }
  const r = await api('GET', '/v1/agent/conversations/' + encodeURIComponent(id));
  if (r.status !== 200) {
    if (r.status === 404) toast(t('c.error', { code: 'not_found' }));
    return;
  }
  st.current = r.data.conversation;
  st.customer = r.data.customer || null;
  st.feed.reset(st.current.id);
  st.unread.delete(id);
  history.replaceState(null, '', '#c=' + id);
  els['conv-empty'].hidden = true;
  els['conv-view'].hidden = false;
  els.events.textContent = '';
  hideTyping();
  st.events = [];
  (r.data.events || []).forEach((ev) => onEvent(ev, false));
  // keep unsent messages typed for this conversation
  st.outbox.items().forEach((item) => {
    if (item.conversationId === id) els.events.appendChild(item.li);
  });
  renderHeader();
  renderDetails();
  renderInbox();
  subscribe();
  scrollDown(true);
  els.compose.focus();
}

export function subscribe() {
  const frame = st.feed.subscribeFrame();
  if (frame && st.socket) st.socket.send(frame);
}

export function renderHeader() {
  const c = st.current;
  if (!c) return;
  els['conv-title'].textContent = c.subject || t('c.no_subject');
  const meta = els['conv-meta'];
  meta.textContent = '';
  meta.appendChild(el('span', 'chip st-' + c.status, t('st.' + c.status)));
  if (c.urgent) meta.appendChild(el('span', 'chip urgent', t('c.urgent')));
  meta.appendChild(el('span', 'who', customerName()));
  if (st.customer && st.customer.external_id) meta.appendChild(el('span', 'chip verified', t('c.verified')));
  meta.appendChild(el('span', 'assignee', c.assignee_id ? t('c.assigned_to', { name: agentName(c.assignee_id) }) : t('c.unassigned')));
  const s = c.status;
  els['act-assign'].hidden = !!(st.me && c.assignee_id === st.me.id);
  els['act-pending'].hidden = s === 'pending' || s === 'resolved' || s === 'closed';
  els['act-snooze'].hidden = s === 'resolved' || s === 'closed';
  els['act-transfer'].hidden = s === 'closed';
  els['act-resolve'].hidden = s === 'resolved' || s === 'closed';
  els['act-reopen'].hidden = s === 'open';
  els['act-close'].hidden = s === 'closed';
  renderLabels();
}

export function customerName() {
  const c = st.customer;
  if (!c) return t('c.customer');
  return c.name || c.email || (c.external_id ? c.external_id : t('c.anonymous'));
}

function actorName(a) {
  if (!a) return t('c.someone');
  if (a.type === 'agent') return a.name || agentName(a.id);
  if (a.type === 'customer') return customerName();
  if (a.type === 'bot') return t('c.bot');
  return t('c.system');
}

export function onEvent(ev, live) {
  if (!st.feed.accept(ev)) return;
  st.events.push(ev);
  renderEvent(ev);
  if (live && ev.kind && ev.kind.type === 'message' && ev.actor && ev.actor.type === 'customer') {
    hideTyping();
    suggestArticles();
  }
  if (live && ev.kind && ev.kind.type === 'rated') renderDetails();
  if (live && ev.kind && /^(sla_|status_changed|message$)/.test(ev.kind.type)) loadSla();
  scrollDown(live);
}

export function rerenderEvents() {
  const pending = st.outbox.items().filter((item) => st.current && item.conversationId === st.current.id);
  els.events.textContent = '';
  st.events.slice().sort((a, b) => a.seq - b.seq).forEach(renderEvent);
  pending.forEach((item) => {
    drawPending(item);
    els.events.appendChild(item.li);
  });
}

// Events keep log order by seq; messages still sending stay at the end.
function place(li, seq) {
  insertBySeq(els.events, li, seq);
}

function messageItem(kind, actor, body, at) {
  const mine = actor && actor.type === 'agent';
  const li = el('li', 'ev ' + kind + (kind === 'message' ? (mine ? ' agent' : ' customer') : ''));
  const head = el('div', 'ev-head');
  if (kind === 'note') head.appendChild(el('span', 'note-label', t('c.note_label')));
  head.appendChild(el('span', 'ev-who', actorName(actor)));
  head.appendChild(el('span', 'ev-time', at ? formatTime(at, i18n.lang) : ''));
  li.appendChild(head);
  li.appendChild(el('p', 'ev-body', body));
  li.appendChild(el('span', 'ev-state'));
  return li;
}

function renderEvent(ev) {
  const k = ev.kind || {};
  let li = null;
  if (k.type === 'message' || k.type === 'note') {
    // one of ours still waiting: the echo acknowledges it
    if (acked(ev.client_msg_id, ev.seq)) return;
    li = messageItem(k.type, ev.actor, k.body, ev.at);
    if (ev.client_msg_id) li.dataset.cmid = ev.client_msg_id;
  } else if (k.type === 'status_changed') {
    li = el('li', 'ev line', t('c.ev_status', { who: actorName(ev.actor), from: t('st.' + k.from), to: t('st.' + k.to) }));
  } else if (k.type === 'assigned') {
    const self = k.to && ev.actor && ev.actor.type === 'agent' && ev.actor.id === k.to;
    const text = self
      ? t('c.ev_took', { who: actorName(ev.actor) })
      : k.to
      ? t('c.ev_assigned', { who: actorName(ev.actor), to: agentName(k.to) })
      : t('c.ev_unassigned', { who: actorName(ev.actor) });
    li = el('li', 'ev line', text);
  } else if (k.type === 'triaged') {
    li = el('li', 'ev line triage', t('c.ev_triaged', {
      category: i18n.v('cat', k.category), language: i18n.v('lang', k.language), priority: i18n.v('pr', k.priority),
      urgent: k.urgent ? ' · ' + t('c.urgent') : '',
    }));
  } else if (k.type === 'system_notice' && k.code === 'automated_reply') {
    // A canned reply a rule sent to the customer, as trustdesk.
    li = el('li', 'ev message automated');
    const head = el('div', 'ev-head');
    head.appendChild(el('span', 'auto-label', t('c.automated_reply')));
    head.appendChild(el('span', 'ev-time', ev.at ? formatTime(ev.at, i18n.lang) : ''));
    li.appendChild(head);
    li.appendChild(el('p', 'ev-body', k.text || ''));
  } else if (k.type === 'system_notice') {
    li = el('li', 'ev line notice', k.text || k.code || '');
  } else if (k.type === 'labeled') {
    const changes = (k.added || []).map((l) => '+' + l).concat((k.removed || []).map((l) => '−' + l)).join(' ');
    li = el('li', 'ev line labeled', t('c.ev_labeled', { changes, who: actorName(ev.actor) }));
  } else if (k.type === 'rule_fired') {
    let text = k.macro_id && !k.rule_id
      ? t('c.ev_macro', { name: k.name, who: actorName(ev.actor), actions: (k.actions || []).join(', ') || t('c.nothing') })
      : t('c.ev_rule', { name: k.name, actions: (k.actions || []).join(', ') || t('c.nothing') });
    if (k.webhook) text += ' · ' + t('c.ev_webhook', { event: k.webhook });
    li = el('li', 'ev line rule', text);
  } else if (k.type === 'crypto_context') {
    li = el('li', 'ev line crypto');
    (k.mentions || []).forEach((m) => {
      const row = el('div', 'crypto-ref' + (m.valid && !m.mismatch ? '' : ' warn'));
      const what = m.kind === 'tx_hash' ? t('c.crypto_tx') : t('c.crypto_addr');
      const check = m.valid ? t('c.crypto_valid') : t('c.crypto_invalid');
      let text = what + ' ' + m.text + ' · ' + (m.networks || []).join('/') + ' · ' + check;
      if (m.mismatch) text += ' · ' + t('c.crypto_mismatch', { network: m.mismatch });
      row.textContent = text;
      li.appendChild(row);
    });
  } else if (k.type === 'bot_reply') {
    const titles = (k.articles || []).map((a) => a.title).join(' · ');
    li = el('li', 'ev line bot', t('c.ev_bot', { articles: titles, confidence: Math.round((k.confidence || 0) * 100) }));
  } else if (k.type === 'transferred') {
    const to = k.to_agent ? agentName(k.to_agent) : t('c.team', { name: teamName(k.to_team) });
    li = el('li', 'ev line', t('c.ev_transferred', { who: actorName(ev.actor), to, reason: k.reason || '' }));
  } else if (k.type === 'priority_changed') {
    li = el('li', 'ev line', t('c.ev_priority', { from: i18n.v('pr', k.from), to: i18n.v('pr', k.to), reason: k.reason || '' }));
  } else if (k.type === 'sla_warning' || k.type === 'sla_breached') {
    li = el('li', 'ev line sla ' + (k.type === 'sla_breached' ? 'breached' : 'warning'), t('c.ev_' + k.type, {
      metric: t('sla.' + k.metric), at: formatTime(k.due_at, i18n.lang),
    }));
  } else if (k.type === 'reminder_set') {
    li = el('li', 'ev line reminder', t('c.ev_reminder_set', { at: formatTime(k.at, i18n.lang), note: k.note || '' }));
  } else if (k.type === 'reminder_due') {
    li = el('li', 'ev line reminder', t('c.ev_reminder_due', { note: k.note || '' }));
  } else if (k.type === 'attachment') {
    li = fileItem(ev);
  } else if (k.type === 'rated') {
    li = el('li', 'ev line rated', t('c.ev_rated', { score: k.score }) + (k.comment ? ': ' + k.comment : ''));
  } else {
    return; // kinds this version does not know
  }
  li.dataset.seq = String(ev.seq);
  place(li, ev.seq);
}

export function renderPendingItem(p) {
  const li = messageItem(p.internal ? 'note' : 'message', { type: 'agent', id: st.me.id, name: st.me.display_name }, p.body, p.at);
  li.dataset.cmid = p.cmid;
  return li;
}

export function showTyping(text) {
  els.typing.textContent = text;
  clearTimeout(st.typingTimer);
  st.typingTimer = setTimeout(hideTyping, 5000);
}

function hideTyping() {
  clearTimeout(st.typingTimer);
  els.typing.textContent = '';
}

export function scrollDown(force) {
  const l = els.events;
  if (force || l.scrollHeight - l.scrollTop - l.clientHeight < 150) l.scrollTop = l.scrollHeight;
}

// A shared file (see showFile).
function fileItem(ev) {
  const f = ev.kind.file;
  const li = el('li', 'ev file ' + (ev.actor && ev.actor.type === 'agent' ? 'agent' : 'customer'));
  const head = el('div', 'ev-head');
  head.appendChild(el('span', 'ev-who', t('c.ev_file', { who: actorName(ev.actor) })));
  head.appendChild(el('span', 'ev-time', formatTime(ev.at, i18n.lang)));
  li.appendChild(head);
  showFile(li, f, st.token, t('w.download'));
  return li;
}

