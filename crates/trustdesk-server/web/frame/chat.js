// The widget frame's conversation: the session (REST), the live socket
// (protocol v1), the events it receives and the messages the customer
// sends through the shared outbox.
import { createApi, errorMessage } from '../lib/api.js';
import { backoff, Socket } from '../lib/socket.js';
import { clientMsgId, Outbox, retryDelay } from '../lib/outbox.js';
import { els, identity, lang, st, t } from './state.js';
import { storage, toParent } from './storage.js';
import {
  appendLine, bubble, drawPending, hideQueue, hideTyping, renderAttachment, renderBanner,
  renderBotReply, renderMessage, renderStatus, scrollDown, setConn, showQueue, showTyping,
} from './render.js';
import { removeRatingCard } from './rating.js';

export const api = createApi({ token: () => st.token });

// Tokens are kept per verified user, or one for anonymous chats (the
// identity arrives from the host page before the session starts).
const tokenKey = () => (identity ? 'trustdesk.token.user.' + identity.user_id : 'trustdesk.token.anon');

st.outbox = new Outbox({
  send: (frame) => !!st.socket && st.socket.send(frame),
  // Sent once the conversation exists and is subscribed; until then it waits.
  target: () => (st.conv && st.feed.subscribed ? st.conv.id : null),
  onChange: (item) => drawPending(item, resend),
});

// ---- the session ------------------------------------------------------------

// The customer's anti-phishing code in the header: proof this panel is the
// real one (a fake site cannot know it). Inserted as text.
async function showAntiPhishingCode() {
  const r = await api('GET', '/v1/widget/anti-phishing-code');
  if (r.status === 200 && r.data && r.data.code) {
    els.apc.textContent = t('w.apc', { code: r.data.code });
    els.apc.hidden = false;
  }
}

function showVerified(verified) {
  els.verified.hidden = !verified;
  els.freeze.hidden = !verified;
}

async function startSession(withIdentity) {
  const body = { locale: lang };
  if (withIdentity && identity) body.identity = identity;
  st.token = null;
  const r = await api('POST', '/v1/widget/sessions', body);
  if (r.status === 401 && withIdentity) {
    // A wrong hash: chat anonymously rather than not at all.
    console.warn('trustdesk: the user hash was refused; continuing anonymously');
    return startSession(false);
  }
  if (r.status !== 201) throw new Error('session ' + r.status);
  st.token = r.data.token;
  storage.set(tokenKey(), st.token);
  const verified = !!(r.data.customer && r.data.customer.external_id);
  showVerified(verified);
  showAntiPhishingCode();
  if (!verified) return [];
  // A verified customer may have conversations from other sessions.
  const list = await api('GET', '/v1/widget/conversations');
  return list.status === 200 ? list.data.conversations || [] : [];
}

// The customer's conversations with a stored token, or a new session.
async function session() {
  st.token = storage.get(tokenKey());
  if (st.token) {
    const r = await api('GET', '/v1/widget/conversations');
    if (r.status === 200) {
      showVerified(!!identity);
      showAntiPhishingCode();
      return r.data.conversations || [];
    }
    if (r.status !== 401) throw new Error('conversations ' + r.status);
    storage.del(tokenKey());
  }
  return startSession(true);
}

// Messages written before the session exists wait for it.
const sessionWaiters = [];
export function whenSession() {
  return st.sessionOk ? Promise.resolve() : new Promise((r) => sessionWaiters.push(r));
}

export async function init() {
  st.sessionOk = false;
  setConn('connecting');
  let conversations;
  try {
    conversations = await session();
  } catch (_) {
    setConn('unavailable');
    setTimeout(init, backoff(st.initAttempt));
    st.initAttempt = Math.min(st.initAttempt + 1, 16);
    return;
  }
  st.initAttempt = 0;
  st.sessionOk = true;
  sessionWaiters.splice(0).forEach((r) => r());
  const current = conversations.find((c) => c.status !== 'closed');
  if (current) setConversation(current);
  connect();
}

// ---- the socket ---------------------------------------------------------------

function connect() {
  if (st.socket) st.socket.stop();
  st.socket = new Socket({
    token: st.token,
    onReady: subscribe,
    onFrame,
    onState: setConn,
    onFatal: (reason) => {
      // The token is no longer valid: start over with a new session.
      if (reason === 'unauthorized' || reason === 'session_revoked') {
        storage.del(tokenKey());
        st.socket = null;
        st.feed.subscribed = false;
        init();
      }
    },
  });
  st.socket.start();
}

function subscribe() {
  const frame = st.feed.subscribeFrame();
  if (frame && st.socket) st.socket.send(frame);
}

function onFrame(f) {
  switch (f.type) {
    case 'event':
      onEvent(f.event, true);
      break;
    case 'subscribed':
      if (st.feed.confirm(f.conversation_id)) st.outbox.flush();
      break;
    case 'ack':
      acked(f.client_msg_id, f.seq);
      break;
    case 'typing':
      if (st.conv && f.conversation_id === st.conv.id && f.actor && f.actor.type !== 'customer') {
        showTyping(f.actor.name || t('w.support'));
      }
      break;
    case 'queue':
      if (st.conv && f.conversation_id === st.conv.id) showQueue(f);
      break;
    case 'error':
      onError(f);
      break;
    default:
      break; // frames this version does not know are ignored
  }
}

function onError(f) {
  const item = st.outbox.get(f.ref);
  if (item) {
    if (f.code === 'overloaded') {
      // Nothing was stored: the same message goes again shortly.
      st.outbox.retryLater(item, f.retry_after_ms);
      return;
    }
    if (f.code === 'conflict' && st.conv) {
      // The conversation was closed meanwhile: start a new one with it.
      st.conv.status = 'closed';
      resetConversation();
      resend(item);
      return;
    }
    st.outbox.fail(item);
    if (st.opening === item) st.opening = null;
    return;
  }
  if (f.ref === 'sub' && f.code === 'cursor_ahead') {
    // Our cursor is beyond the server's (restored database): start over.
    st.feed.rewind();
    subscribe();
  }
}

// ---- the conversation -----------------------------------------------------------

function setConversation(conv) {
  st.conv = conv;
  st.feed.reset(conv.id);
  renderBanner();
}

export function resetConversation() {
  if (st.conv && st.socket) st.socket.send({ type: 'unsubscribe', conversation_id: st.conv.id });
  st.conv = null;
  st.feed.reset(null);
  // Keep unsent messages; the rest of the old conversation goes.
  Array.from(els.list.children).forEach((li) => {
    if (!li.dataset.cmid || !st.outbox.get(li.dataset.cmid)) li.remove();
  });
  renderBanner();
}

function acked(cmid, seq) {
  const item = st.outbox.acked(cmid, seq);
  if (item) st.feed.claim(seq);
  return item;
}

export function onEvent(ev, live) {
  if (!st.feed.accept(ev)) return;
  const kind = ev.kind || {};
  if (kind.type === 'message') {
    // one of ours still waiting: the echo acknowledges it
    if (!acked(ev.client_msg_id, ev.seq)) renderMessage(ev);
    if (ev.actor && ev.actor.type === 'agent') {
      // A person answers: the bot's "did it help?" buttons and the queue
      // line are moot.
      els.list.querySelectorAll('.quick').forEach((q) => q.remove());
      hideQueue();
    }
    if (ev.actor && ev.actor.type !== 'customer') {
      hideTyping();
      if (live && !st.visible) {
        st.unread += 1;
        toParent({ type: 'trustdesk:unread', count: st.unread });
      }
    }
  } else if (kind.type === 'status_changed') {
    const from = st.conv.status;
    st.conv.status = kind.to;
    renderStatus(from, kind.to, ev);
    renderBanner();
  } else if (kind.type === 'system_notice' && kind.text) {
    if (kind.code === 'agent_joined') hideQueue();
    appendLine(kind.text, 'notice', ev.seq);
  } else if (kind.type === 'bot_reply') {
    renderBotReply(ev, submit);
  } else if (kind.type === 'attachment') {
    renderAttachment(ev);
  } else if (kind.type === 'rated') {
    removeRatingCard();
    appendLine(t('w.rate_thanks', { score: kind.score }), 'status', ev.seq);
  }
  // other kinds (internal ones never reach a customer) are ignored
  scrollDown(live);
}

// ---- sending --------------------------------------------------------------------

export function submit(text) {
  const body = text.trim();
  if (!body) return;
  const item = { cmid: clientMsgId('w'), body, at: Date.now(), li: null };
  item.li = bubble(true, '', body, null, item.cmid);
  els.list.appendChild(item.li);
  if (st.conv && st.conv.status === 'closed') resetConversation();
  st.outbox.add(item);
  if (!st.conv) openConversation(item);
  scrollDown(true);
}

// Sends (again) through the outbox; with no conversation yet, the first
// message opens one over REST and the others wait for it.
function resend(item) {
  st.outbox.send(item);
  if (!st.conv) openConversation(item);
}

async function openConversation(item) {
  if (st.opening && st.opening !== item) return; // sent once the conversation exists
  st.opening = item;
  await whenSession();
  const subject = Array.from(item.body.replace(/\s+/g, ' ').trim()).slice(0, 80).join('');
  const r = await api('POST', '/v1/widget/conversations', {
    subject,
    body: item.body,
    client_msg_id: item.cmid,
    language: lang,
  });
  st.opening = null;
  if (r.status === 200 || r.status === 201) {
    setConversation(r.data.conversation);
    (r.data.events || []).forEach((ev) => onEvent(ev, false));
    acked(item.cmid, null);
    // the others typed meanwhile go out once subscribed
    if (st.socket) subscribe();
    return;
  }
  if (r.status === 401) {
    storage.del(tokenKey());
    st.outbox.fail(item);
    init();
    return;
  }
  const error = (r.data && r.data.error) || {};
  if (r.status === 429 && error.code === 'overloaded') {
    // Nothing was opened: ask again with the same message after the hint.
    setTimeout(() => {
      if (!st.conv && item.state === 'sending') openConversation(item);
    }, retryDelay(error.retry_after_ms));
    return;
  }
  // Nothing could be opened: every message waiting for it fails with it.
  st.outbox.items().forEach((x) => {
    if (x.state === 'sending') st.outbox.fail(x);
  });
}

export function sendTyping() {
  const now = Date.now();
  if (st.feed.subscribed && st.conv && now - st.lastTypingSent > 2500 && els.input.value) {
    st.lastTypingSent = now;
    st.socket.send({ type: 'typing', conversation_id: st.conv.id });
  }
}

// ---- files and the emergency freeze ---------------------------------------------

const MAX_UPLOAD = 10 * 1024 * 1024;

export async function uploadFile(file) {
  if (!st.conv) return;
  if (file.size > MAX_UPLOAD) {
    appendLine(t('w.attach_failed', { reason: t('w.attach_hint') }), 'notice');
    return;
  }
  const r = await api.upload('/v1/widget/conversations/' + encodeURIComponent(st.conv.id) + '/attachments', file);
  if (r.status === 201 || r.status === 200) onEvent(r.data.event, true);
  else appendLine(t('w.attach_failed', { reason: errorMessage(r) || t('w.offline') }), 'notice');
  scrollDown(true);
}

// One confirmed step. Opens a conversation first when there is none, then
// asks the server to send the freeze request; the outcome arrives as
// notices in the conversation.
export async function freeze() {
  if (!window.confirm(t('w.freeze_confirm'))) return;
  if (!st.conv) {
    submit(t('w.freeze_msg'));
    for (let i = 0; i < 50 && !st.conv; i++) await new Promise((r) => setTimeout(r, 100));
    if (!st.conv) {
      appendLine(t('w.freeze_error'), 'notice');
      return;
    }
  }
  const r = await api('POST', '/v1/widget/conversations/' + encodeURIComponent(st.conv.id) + '/freeze', {});
  if (r.status !== 202) {
    appendLine(errorMessage(r) || t('w.freeze_error'), 'notice');
    scrollDown(true);
  }
}
