// Drawing the widget frame's conversation: bubbles, the bot's article
// cards, files, status lines, the queue line, typing and connection state.
// Every value is inserted as text, never as HTML.
import { el, formatTime, insertBySeq, showFile } from '../lib/dom.js';
import { els, lang, st, t } from './state.js';
import { removeRatingCard, showRatingCard } from './rating.js';

export function bubble(isMine, name, body, seq, cmid) {
  const li = el('li', 'msg ' + (isMine ? 'mine' : 'theirs'));
  if (seq != null) li.dataset.seq = String(seq);
  if (cmid) li.dataset.cmid = cmid;
  if (!isMine) li.appendChild(el('span', 'who', name));
  li.appendChild(el('p', 'body', body));
  li.appendChild(el('span', 'meta'));
  return li;
}

// Messages keep log order by seq; pending ones stay at the end.
export function place(li, seq) {
  insertBySeq(els.list, li, seq);
}

function senderName(ev) {
  return ev.actor && ev.actor.type === 'agent' ? ev.actor.name : t('w.support');
}

// The answer bot's suggestions: article cards. A card opens the article in
// place (fetched as JSON, shown as text, never as HTML). `answer` sends
// the customer's "did it help?" reply.
export function renderBotReply(ev, answer) {
  const li = bubble(false, t('w.assistant'), ev.kind.text || '', ev.seq, null);
  li.classList.add('bot');
  const cards = el('ul', 'cards');
  (ev.kind.articles || []).forEach((a) => {
    const card = el('li', 'card');
    const open = el('button', 'card-title', a.title);
    open.type = 'button';
    const snippet = el('p', 'card-snippet', a.snippet || '');
    const full = el('div', 'card-body');
    full.hidden = true;
    open.addEventListener('click', async () => {
      if (!full.hidden) {
        full.hidden = true;
        return;
      }
      if (!full.textContent) {
        try {
          const res = await fetch('/v1/kb/articles/' + encodeURIComponent(a.id));
          if (!res.ok) throw new Error(String(res.status));
          const article = await res.json();
          full.textContent = article.body;
        } catch (_) {
          full.textContent = t('w.articleError');
        }
      }
      full.hidden = false;
    });
    card.appendChild(open);
    card.appendChild(snippet);
    card.appendChild(full);
    cards.appendChild(card);
  });
  li.insertBefore(cards, li.querySelector('.meta'));
  // "Did this help?": one tap answers; the server resolves or hands off.
  const ask = el('div', 'quick');
  [t('w.helped'), t('w.notHelped')].forEach((label) => {
    const b = el('button', 'quick-reply', label);
    b.type = 'button';
    b.addEventListener('click', () => {
      ask.remove();
      answer(label);
    });
    ask.appendChild(b);
  });
  li.insertBefore(ask, li.querySelector('.meta'));
  place(li, ev.seq);
}

// A message from the log that is not one of ours still waiting (those are
// redrawn by the outbox).
export function renderMessage(ev) {
  const mine = ev.actor && ev.actor.type === 'customer';
  const cmid = ev.client_msg_id;
  if (cmid && els.list.querySelector('li[data-cmid="' + CSS.escape(cmid) + '"]')) return;
  const li = bubble(mine, senderName(ev), ev.kind.body, ev.seq, cmid);
  li.querySelector('.meta').textContent = formatTime(ev.at, lang);
  if (mine) li.classList.add('sent');
  place(li, ev.seq);
}

// A file in the conversation (see showFile).
export function renderAttachment(ev) {
  const mine = ev.actor && ev.actor.type === 'customer';
  const li = bubble(mine, senderName(ev), '', ev.seq, null);
  li.classList.add('file-msg');
  showFile(li.querySelector('.body'), ev.kind.file, st.token, t('w.download'));
  li.querySelector('.meta').textContent = formatTime(ev.at, lang);
  place(li, ev.seq);
}

export function renderStatus(from, to, ev) {
  // The rating card stays while resolved or closed, goes on reopening.
  if (to === 'resolved') showRatingCard(ev.seq);
  else if (to !== 'closed') removeRatingCard();
  if (to === 'resolved') appendLine(t('w.resolved'), 'status', ev.seq);
  else if (to === 'closed') appendLine(t('w.closed'), 'status', ev.seq);
  else if (to === 'open' && (from === 'resolved' || from === 'closed')) appendLine(t('w.reopened'), 'status', ev.seq);
  else if (to === 'pending') appendLine(t('w.pending'), 'status', ev.seq);
}

export function appendLine(text, cls, seq) {
  const li = el('li', 'line ' + cls, text);
  if (seq != null) li.dataset.seq = String(seq);
  place(li, seq);
}

export function renderBanner() {
  const status = st.conv ? st.conv.status : null;
  els.attach.hidden = !st.conv || status === 'closed';
  if (status === 'closed') {
    els.banner.hidden = false;
    els.bannerText.textContent = t('w.closed');
    els.newConv.hidden = false;
  } else {
    els.banner.hidden = true;
    els.newConv.hidden = true;
  }
}

// One of our messages in the outbox: sending, sent, or failed with a retry
// button.
export function drawPending(item, retry) {
  const li = item.li;
  li.classList.remove('sending', 'failed', 'sent');
  li.classList.add(item.state);
  if (item.seq != null && !li.dataset.seq) {
    // acknowledged: move it to where the log says it belongs
    li.dataset.seq = String(item.seq);
    li.remove();
    place(li, item.seq);
  }
  const meta = li.querySelector('.meta');
  meta.textContent = '';
  if (item.state === 'failed') {
    const b = el('button', 'retry', t('w.failed'));
    b.type = 'button';
    b.addEventListener('click', () => retry(item));
    meta.appendChild(b);
  } else {
    meta.textContent = item.state === 'sending' ? t('w.sending') : formatTime(item.at, lang) + ' · ' + t('w.sent');
  }
}

export function setConn(state) {
  const text = { connecting: t('w.connecting'), offline: t('w.offline'), unavailable: t('w.unavailable') }[state];
  els.conn.hidden = !text;
  els.conn.textContent = text || '';
  els.conn.className = 'conn ' + state;
}

// The customer's place in the queue and the estimated wait, as the server
// pushes them; gone once an agent joins.
export function showQueue(f) {
  const position = Number(f.position) || 1;
  const known = f.estimate === 'known' && typeof f.estimated_wait_ms === 'number';
  els.queue.textContent = known
    ? t('w.queue', {
        position,
        ahead: position - 1,
        minutes: Math.max(1, Math.ceil(f.estimated_wait_ms / 60000)),
      })
    : t('w.queueUnknown', { position });
  els.queue.hidden = false;
}

export function hideQueue() {
  els.queue.textContent = '';
  els.queue.hidden = true;
}

export function showTyping(name) {
  els.typing.textContent = t('w.typing', { name });
  els.typing.classList.add('on');
  clearTimeout(st.typingTimer);
  st.typingTimer = setTimeout(hideTyping, 5000);
}

export function hideTyping() {
  clearTimeout(st.typingTimer);
  els.typing.textContent = '';
  els.typing.classList.remove('on');
}

function nearBottom() {
  const l = els.log;
  return l.scrollHeight - l.scrollTop - l.clientHeight < 120;
}

export function scrollDown(force) {
  if (force || nearBottom()) els.log.scrollTop = els.log.scrollHeight;
}
