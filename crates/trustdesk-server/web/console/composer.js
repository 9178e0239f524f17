// Writing in the open conversation: reply or internal note, the outbox,
// typing, and canned responses.
import { el, insertBySeq } from '../lib/dom.js';
import { clientMsgId, Outbox } from '../lib/outbox.js';
import { i18n } from '../lib/i18n.js';
import { els, st, t } from './state.js';
import { api } from './session.js';
import { renderPendingItem, scrollDown } from './conversation.js';

// ---- composing ------------------------------------------------------------

export function setMode(mode) {
  st.mode = mode;
  const note = mode === 'note';
  els['mode-reply'].setAttribute('aria-checked', note ? 'false' : 'true');
  els['mode-note'].setAttribute('aria-checked', note ? 'true' : 'false');
  els.composer.classList.toggle('note-mode', note);
  els.compose.placeholder = note ? t('c.note_ph') : t('c.reply_ph');
  els.send.textContent = note ? t('c.add_note') : t('c.send');
}
els['mode-reply'].addEventListener('click', () => { setMode('reply'); els.compose.focus(); });
els['mode-note'].addEventListener('click', () => { setMode('note'); els.compose.focus(); });

// Replies and notes go out through the shared outbox (lib/outbox.js): each
// is shown at once, sent when its conversation is subscribed, and marked
// sent on its ack, or failed with a retry button.
st.outbox = new Outbox({
  send: (frame) => !!st.socket && st.socket.send(frame),
  target: (item) => (st.feed.subscribed && st.current && st.current.id === item.conversationId ? item.conversationId : null),
  onChange: drawPending,
});

export function drawPending(item) {
  const li = item.li;
  li.classList.remove('sending', 'failed', 'sent');
  li.classList.add(item.state);
  const box = li.querySelector('.ev-state');
  box.textContent = '';
  if (item.state === 'sending') box.textContent = t('c.sending');
  else if (item.state === 'failed') {
    const b = el('button', 'retry', t('c.failed'));
    b.type = 'button';
    b.addEventListener('click', () => st.outbox.send(item));
    box.appendChild(b);
  }
}

// The server has one of our messages (its ack, or the event echoing it):
// it takes its place in the log. Returns whether `cmid` was ours.
export function acked(cmid, seq) {
  const item = st.outbox.acked(cmid, seq);
  if (!item) return false;
  item.li.dataset.seq = String(seq);
  if (st.current && item.conversationId === st.current.id) {
    st.feed.claim(seq);
    if (!st.events.some((e) => e.seq === seq)) {
      st.events.push({
        seq, at: item.at, conversation_id: item.conversationId, client_msg_id: item.cmid,
        actor: { type: 'agent', id: st.me.id, name: st.me.display_name },
        visibility: item.internal ? 'internal' : 'public',
        kind: { type: item.internal ? 'note' : 'message', body: item.body },
      });
    }
    item.li.remove();
    insertBySeq(els.events, item.li, seq);
  }
  return true;
}

els.composer.addEventListener('submit', (e) => {
  e.preventDefault();
  const body = els.compose.value.trim();
  if (!body || !st.current) return;
  const item = {
    cmid: clientMsgId('a'),
    body,
    internal: st.mode === 'note',
    conversationId: st.current.id,
    at: Date.now(),
  };
  item.li = renderPendingItem(item);
  els.events.appendChild(item.li);
  els.compose.value = '';
  st.outbox.add(item);
  scrollDown(true);
  els.compose.focus();
});

els.compose.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.isComposing) {
    e.preventDefault();
    els.composer.requestSubmit();
  }
});

export function sendTyping(force) {
  // Typing in note mode must never show up in the customer's widget.
  if (st.mode !== 'reply' || !st.current || !st.feed.subscribed || !els.compose.value) return;
  const now = Date.now();
  if (force || now - st.lastTypingSent > 2500) {
    st.lastTypingSent = now;
    st.socket.send({ type: 'typing', conversation_id: st.current.id });
  }
}
els.compose.addEventListener('input', () => sendTyping(false));

// ---- canned responses ---------------------------------------------------------------

// Typing "/" at the start of the composer lists canned responses whose
// shortcut or title matches what follows; Enter or a click inserts one,
// with the customer's and the agent's names filled in.
const canned = { list: null, shown: [], active: 0 };

async function loadCanned() {
  if (canned.list) return canned.list;
  const r = await api('GET', '/v1/agent/canned');
  canned.list = r.status === 200 ? r.data : [];
  return canned.list;
}

function fillCanned(body) {
  const agent = st.me ? st.me.display_name : '';
  const cu = st.customer;
  const customer = (cu && cu.name) || (i18n.lang === 'zh' ? '您' : 'there');
  return body.replace(/\{\{\s*customer\.name\s*\}\}/g, customer).replace(/\{\{\s*agent\.name\s*\}\}/g, agent);
}

function hideCanned() {
  els['canned-menu'].hidden = true;
  els.compose.removeAttribute('aria-activedescendant');
  canned.shown = [];
}

function insertCanned(c) {
  els.compose.value = fillCanned(c.body);
  hideCanned();
  els.compose.focus();
}

async function showCanned() {
  const v = els.compose.value;
  if (v[0] !== '/' || /\s/.test(v)) return hideCanned();
  const q = v.slice(1).toLowerCase();
  const list = await loadCanned();
  const lang = st.current && st.current.language;
  canned.shown = list
    .filter((c) => c.shortcut.indexOf(q) >= 0 || c.title.toLowerCase().indexOf(q) >= 0)
    .sort((a, b) => (b.locale === lang) - (a.locale === lang))
    .slice(0, 8);
  canned.active = 0;
  renderCanned();
}

function renderCanned() {
  const menu = els['canned-menu'];
  menu.textContent = '';
  menu.hidden = canned.shown.length === 0;
  canned.shown.forEach((c, i) => {
    const li = el('li', 'canned-item' + (i === canned.active ? ' active' : ''));
    li.id = 'canned-' + i;
    li.setAttribute('role', 'option');
    li.setAttribute('aria-selected', i === canned.active ? 'true' : 'false');
    li.appendChild(el('span', 'canned-short', '/' + c.shortcut));
    li.appendChild(el('span', 'canned-title', c.title));
    li.addEventListener('mousedown', (e) => {
      e.preventDefault();
      insertCanned(c);
    });
    menu.appendChild(li);
  });
  if (canned.shown.length) els.compose.setAttribute('aria-activedescendant', 'canned-' + canned.active);
}

els.compose.addEventListener('input', showCanned);
els.compose.addEventListener('blur', () => setTimeout(hideCanned, 100));
els.compose.addEventListener('keydown', (e) => {
  if (els['canned-menu'].hidden || !canned.shown.length) return;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    const n = canned.shown.length;
    canned.active = (canned.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
    renderCanned();
  } else if ((e.key === 'Enter' && !e.ctrlKey && !e.metaKey) || e.key === 'Tab') {
    e.preventDefault();
    e.stopImmediatePropagation();
    insertCanned(canned.shown[canned.active]);
  } else if (e.key === 'Escape') {
    hideCanned();
  }
}, true);
