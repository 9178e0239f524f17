// trustdesk customer chat, running in the frame /widget/frame that widget.js
// opens on the exchange's page. Talks to this server only: REST for the
// session and the first message, the WebSocket (protocol v1) for the rest.
// Every message is inserted with textContent, never as HTML.
'use strict';
(function () {
  const TD = window.TD;
  const i18n = TD.i18n;
  const t = i18n.t.bind(i18n);
  const $ = (id) => document.getElementById(id);

  const params = new URLSearchParams(location.hash.slice(1));
  i18n.set(i18n.detect(params.get('lang')));
  i18n.apply();
  const lang = i18n.lang;
  document.title = t('w.title');

  const identity = params.get('uid') && params.get('uhash')
    ? {
        user_id: params.get('uid'),
        user_hash: params.get('uhash'),
        name: params.get('name') || undefined,
        email: params.get('email') || undefined,
      }
    : null;

  // Tokens are kept per origin (this frame's storage) and per verified user.
  // Where the browser refuses storage to a third-party frame (private modes,
  // strict tracking protection), the loader on the host page keeps the token
  // for us in the host's storage, so a reload does not lose the chat.
  const tokenKey = identity ? 'trustdesk.token.user.' + identity.user_id : 'trustdesk.token.anon';
  const framed = parent !== window;
  // The page that frames us, for postMessage targets (not Firefox: '*').
  const parentOrigin = (function () {
    try {
      if (location.ancestorOrigins && location.ancestorOrigins.length) return location.ancestorOrigins[0];
      if (document.referrer) return new URL(document.referrer).origin;
    } catch (_) { /* fall through */ }
    return '*';
  })();
  function toParent(message) {
    if (framed) parent.postMessage(message, parentOrigin);
  }
  let localOk = false;
  try {
    localStorage.setItem('trustdesk.probe', '1');
    localStorage.removeItem('trustdesk.probe');
    localOk = true;
  } catch (_) { /* third-party storage blocked */ }
  const memory = {};
  const storage = {
    get(k) { return localOk ? localStorage.getItem(k) : (memory[k] || null); },
    set(k, v) {
      if (localOk) localStorage.setItem(k, v);
      else {
        memory[k] = v;
        toParent({ type: 'trustdesk:store', key: k, value: v });
      }
    },
    del(k) {
      if (localOk) localStorage.removeItem(k);
      else {
        delete memory[k];
        toParent({ type: 'trustdesk:store', key: k, value: null });
      }
    },
  };

  const els = {
    log: $('log'),
    list: $('messages'),
    typing: $('typing'),
    queue: $('queue'),
    conn: $('conn'),
    banner: $('banner'),
    bannerText: $('banner-text'),
    newConv: $('new-conv'),
    form: $('composer'),
    input: $('input'),
    human: $('human'),
    close: $('close'),
    verified: $('verified'),
    freeze: $('freeze'),
    apc: $('apc'),
    attach: $('attach'),
    file: $('file'),
    secretWarn: $('secret-warn'),
    secretWarnText: $('secret-warn-text'),
    secretEdit: $('secret-edit'),
    secretSend: $('secret-send'),
  };

  const st = {
    token: null,
    conv: null, // the conversation row
    lastSeq: 0, // highest seq processed in conv
    subscribed: false,
    seen: new Set(), // seqs rendered
    pending: new Map(), // client_msg_id -> {cmid, body, state, li, timer}
    opening: null, // the pending message that is opening the conversation
    socket: null,
    visible: false,
    unread: 0,
    typingTimer: null,
    lastTypingSent: 0,
    initAttempt: 0,
  };

  // ---- REST -------------------------------------------------------------

  async function api(method, path, body) {
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (st.token) headers.authorization = 'Bearer ' + st.token;
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
    let data = null;
    try { data = await res.json(); } catch (_) { /* empty body */ }
    return { status: res.status, data };
  }

  // The customer's anti-phishing code in the header: proof this panel is
  // the real one (a fake site cannot know it). Inserted as text.
  async function showAntiPhishingCode() {
    try {
      const r = await api('GET', '/v1/widget/anti-phishing-code');
      if (r.status === 200 && r.data && r.data.code) {
        els.apc.textContent = t('w.apc', { code: r.data.code });
        els.apc.hidden = false;
      }
    } catch (_) { /* the header simply stays without it */ }
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
    storage.set(tokenKey, st.token);
    const verified = !!(r.data.customer && r.data.customer.external_id);
    els.verified.hidden = !verified;
    els.freeze.hidden = !verified;
    showAntiPhishingCode();
    if (!verified) return [];
    // A verified customer may have conversations from other sessions.
    const list = await api('GET', '/v1/widget/conversations');
    return list.status === 200 ? list.data.conversations || [] : [];
  }

  // The customer's conversations with a stored token, or a new session.
  async function session() {
    st.token = storage.get(tokenKey);
    if (st.token) {
      const r = await api('GET', '/v1/widget/conversations');
      if (r.status === 200) {
        els.verified.hidden = !identity;
        els.freeze.hidden = !identity;
        showAntiPhishingCode();
        return r.data.conversations || [];
      }
      if (r.status !== 401) throw new Error('conversations ' + r.status);
      storage.del(tokenKey);
    }
    return startSession(true);
  }

  // Messages written before the session exists wait for it.
  const sessionWaiters = [];
  function whenSession() {
    return st.sessionOk ? Promise.resolve() : new Promise((r) => sessionWaiters.push(r));
  }

  async function init() {
    st.sessionOk = false;
    setConn('connecting');
    let conversations;
    try {
      conversations = await session();
    } catch (_) {
      setConn('unavailable');
      setTimeout(init, TD.backoff(st.initAttempt));
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

  // ---- the WebSocket ------------------------------------------------------

  function connect() {
    if (st.socket) st.socket.stop();
    st.socket = new TD.Socket({
      token: st.token,
      onReady: onReady,
      onFrame: onFrame,
      onState: setConn,
      onFatal: (reason) => {
        // The token is no longer valid: start over with a new session.
        if (reason === 'unauthorized' || reason === 'session_revoked') {
          storage.del(tokenKey);
          st.socket = null;
          st.subscribed = false;
          init();
        }
      },
    });
    st.socket.start();
  }

  function onReady() {
    st.subscribed = false;
    subscribe();
  }

  function subscribe() {
    if (!st.conv || !st.socket) return;
    st.socket.send({ type: 'subscribe', conversation_id: st.conv.id, since: st.lastSeq, ref: 'sub' });
  }

  function onFrame(f) {
    switch (f.type) {
      case 'event':
        onEvent(f.event, true);
        break;
      case 'subscribed':
        if (st.conv && f.conversation_id === st.conv.id) {
          st.subscribed = true;
          flush();
        }
        break;
      case 'ack': {
        const p = st.pending.get(f.client_msg_id);
        if (p) markSent(p, f.seq);
        break;
      }
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

  // The customer's place in the queue and the estimated wait, as the
  // server pushes them; gone once an agent joins.
  function showQueue(f) {
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

  function hideQueue() {
    els.queue.textContent = '';
    els.queue.hidden = true;
  }

  function onError(f) {
    const p = f.ref ? st.pending.get(f.ref) : null;
    if (p) {
      if (f.code === 'conflict' && st.conv) {
        // The conversation was closed meanwhile: start a new one with it.
        st.conv.status = 'closed';
        resetConversation();
        sendPending(p);
        return;
      }
      markFailed(p);
      return;
    }
    if (f.ref === 'sub' && f.code === 'cursor_ahead') {
      // Our cursor is beyond the server's (restored database): start over.
      st.lastSeq = 0;
      subscribe();
    }
  }

  // ---- conversation state ---------------------------------------------------

  function setConversation(conv) {
    st.conv = conv;
    st.lastSeq = 0;
    st.seen.clear();
    renderBanner();
  }

  function resetConversation() {
    if (st.conv && st.socket) st.socket.send({ type: 'unsubscribe', conversation_id: st.conv.id });
    st.conv = null;
    st.subscribed = false;
    st.lastSeq = 0;
    st.seen.clear();
    // Keep unsent messages; the rest of the old conversation goes.
    Array.from(els.list.children).forEach((li) => {
      if (!li.dataset.cmid || !st.pending.has(li.dataset.cmid)) li.remove();
    });
    renderBanner();
  }

  function onEvent(ev, live) {
    if (!st.conv || ev.conversation_id !== st.conv.id) return;
    if (st.seen.has(ev.seq)) return;
    st.lastSeq = Math.max(st.lastSeq, ev.seq);
    st.seen.add(ev.seq);
    const kind = ev.kind || {};
    if (kind.type === 'message') {
      renderMessage(ev);
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
      renderBotReply(ev);
    } else if (kind.type === 'attachment') {
      renderAttachment(ev);
    } else if (kind.type === 'rated') {
      removeRatingCard();
      appendLine(t('w.rate_thanks', { score: kind.score }), 'status', ev.seq);
    }
    // other kinds (internal ones never reach a customer) are ignored
    scrollDown(live);
  }

  // ---- rendering ------------------------------------------------------------

  function bubble(isMine, name, body, seq, cmid) {
    const li = TD.el('li', 'msg ' + (isMine ? 'mine' : 'theirs'));
    if (seq != null) li.dataset.seq = String(seq);
    if (cmid) li.dataset.cmid = cmid;
    if (!isMine) li.appendChild(TD.el('span', 'who', name));
    li.appendChild(TD.el('p', 'body', body));
    const meta = TD.el('span', 'meta');
    li.appendChild(meta);
    return li;
  }

  // Messages keep log order by seq; pending ones stay at the end.
  function insertBySeq(li, seq) {
    const items = Array.from(els.list.children);
    const after = items.find((x) => x.dataset.seq && Number(x.dataset.seq) > seq);
    const firstPending = items.find((x) => !x.dataset.seq);
    els.list.insertBefore(li, after || firstPending || null);
  }

  // The answer bot's suggestions: article cards. A card opens the article
  // in place (fetched as JSON, shown as text, never as HTML).
  function renderBotReply(ev) {
    const li = bubble(false, t('w.assistant'), ev.kind.text || '', ev.seq, null);
    li.classList.add('bot');
    const cards = TD.el('ul', 'cards');
    (ev.kind.articles || []).forEach((a) => {
      const card = TD.el('li', 'card');
      const open = TD.el('button', 'card-title', a.title);
      open.type = 'button';
      const snippet = TD.el('p', 'card-snippet', a.snippet || '');
      const full = TD.el('div', 'card-body');
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
    const ask = TD.el('div', 'quick');
    [t('w.helped'), t('w.notHelped')].forEach((label) => {
      const b = TD.el('button', 'quick-reply', label);
      b.type = 'button';
      b.addEventListener('click', () => {
        ask.remove();
        submit(label);
      });
      ask.appendChild(b);
    });
    li.insertBefore(ask, li.querySelector('.meta'));
    insertBySeq(li, ev.seq);
  }

  function renderMessage(ev) {
    const mine = ev.actor && ev.actor.type === 'customer';
    const cmid = ev.client_msg_id;
    const p = cmid ? st.pending.get(cmid) : null;
    if (p) {
      markSent(p, ev.seq);
      return;
    }
    if (cmid && els.list.querySelector('li[data-cmid="' + CSS.escape(cmid) + '"]')) return;
    const name = ev.actor && ev.actor.type === 'agent' ? ev.actor.name : t('w.support');
    const li = bubble(mine, name, ev.kind.body, ev.seq, cmid);
    li.querySelector('.meta').textContent = TD.formatTime(ev.at, lang);
    if (mine) li.classList.add('sent');
    insertBySeq(li, ev.seq);
  }

  // A file in the conversation (see TD.showFile).
  function renderAttachment(ev) {
    const f = ev.kind.file;
    const mine = ev.actor && ev.actor.type === 'customer';
    const name = ev.actor && ev.actor.type === 'agent' ? ev.actor.name : t('w.support');
    const li = bubble(mine, name, '', ev.seq, null);
    li.classList.add('file-msg');
    TD.showFile(li.querySelector('.body'), f, st.token, t('w.download'));
    li.querySelector('.meta').textContent = TD.formatTime(ev.at, lang);
    insertBySeq(li, ev.seq);
  }

  async function uploadFile(file) {
    if (!st.conv) return;
    const max = 10 * 1024 * 1024;
    if (file.size > max) {
      appendLine(t('w.attach_failed', { reason: t('w.attach_hint') }), 'notice');
      return;
    }
    let r;
    try {
      const res = await fetch(
        '/v1/widget/conversations/' + encodeURIComponent(st.conv.id) + '/attachments?name=' + encodeURIComponent(file.name),
        {
          method: 'POST',
          headers: { authorization: 'Bearer ' + st.token, 'content-type': 'application/octet-stream' },
          body: file,
          credentials: 'omit',
        },
      );
      r = { status: res.status, data: await res.json().catch(() => null) };
    } catch (_) {
      r = { status: 0, data: null };
    }
    if (r.status === 201 || r.status === 200) {
      onEvent(r.data.event, true);
    } else {
      const reason = (r.data && r.data.error && r.data.error.message) || t('w.offline');
      appendLine(t('w.attach_failed', { reason }), 'notice');
    }
    scrollDown(true);
  }

  // CSAT: a 1–5 rating with an optional comment, offered once the
  // conversation is resolved; the server takes one per resolution.
  function showRatingCard(seq) {
    removeRatingCard();
    const li = TD.el('li', 'rating-card');
    li.id = 'rating-card';
    li.dataset.seq = String(seq + 0.5);
    const q = TD.el('p', 'rating-q', t('w.rate_q'));
    q.id = 'rating-q';
    li.appendChild(q);
    const stars = TD.el('div', 'stars');
    stars.setAttribute('role', 'radiogroup');
    stars.setAttribute('aria-labelledby', 'rating-q');
    let score = 0;
    const buttons = [];
    for (let n = 1; n <= 5; n++) {
      const b = TD.el('button', 'star', '★');
      b.type = 'button';
      b.setAttribute('role', 'radio');
      b.setAttribute('aria-checked', 'false');
      b.setAttribute('aria-label', t('w.rate_star', { n }));
      b.dataset.score = String(n);
      b.addEventListener('click', () => {
        score = n;
        buttons.forEach((x, i) => {
          x.classList.toggle('on', i < n);
          x.setAttribute('aria-checked', String(i === n - 1));
        });
        send.disabled = false;
      });
      buttons.push(b);
      stars.appendChild(b);
    }
    li.appendChild(stars);
    const comment = document.createElement('textarea');
    comment.className = 'rating-comment';
    comment.rows = 2;
    comment.maxLength = 1000;
    comment.setAttribute('aria-label', t('w.rate_comment'));
    comment.placeholder = t('w.rate_comment');
    li.appendChild(comment);
    const send = TD.el('button', 'primary rating-send', t('w.rate_send'));
    send.type = 'button';
    send.disabled = true;
    send.addEventListener('click', async () => {
      if (!score || !st.conv) return;
      send.disabled = true;
      const r = await api('POST', '/v1/widget/conversations/' + encodeURIComponent(st.conv.id) + '/rating', {
        score,
        comment: comment.value.trim() || undefined,
      }).catch(() => ({ status: 0 }));
      if (r.status === 201) onEvent(r.data.event, true);
      else if (r.status === 409) removeRatingCard();
      else {
        send.disabled = false;
        appendLine(t('w.rate_failed'), 'notice');
      }
    });
    li.appendChild(send);
    const items = Array.from(els.list.children);
    const after = items.find((x) => x.dataset.seq && Number(x.dataset.seq) > seq + 0.5);
    els.list.insertBefore(li, after || null);
    scrollDown(false);
  }

  function removeRatingCard() {
    const card = document.getElementById('rating-card');
    if (card) card.remove();
  }

  function renderStatus(from, to, ev) {
    // The rating card stays while resolved or closed, goes on reopening.
    if (to === 'resolved') showRatingCard(ev.seq);
    else if (to !== 'closed') removeRatingCard();
    if (to === 'resolved') appendLine(t('w.resolved'), 'status', ev.seq);
    else if (to === 'closed') appendLine(t('w.closed'), 'status', ev.seq);
    else if (to === 'open' && (from === 'resolved' || from === 'closed')) appendLine(t('w.reopened'), 'status', ev.seq);
    else if (to === 'pending') appendLine(t('w.pending'), 'status', ev.seq);
  }

  function appendLine(text, cls, seq) {
    const li = TD.el('li', 'line ' + cls, text);
    if (seq != null) li.dataset.seq = String(seq);
    insertBySeq(li, seq);
  }

  function renderBanner() {
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

  function setConn(state) {
    const text = { connecting: t('w.connecting'), offline: t('w.offline'), unavailable: t('w.unavailable') }[state];
    els.conn.hidden = !text;
    els.conn.textContent = text || '';
    els.conn.className = 'conn ' + state;
  }

  function showTyping(name) {
    els.typing.textContent = t('w.typing', { name });
    els.typing.classList.add('on');
    clearTimeout(st.typingTimer);
    st.typingTimer = setTimeout(hideTyping, 5000);
  }

  function hideTyping() {
    clearTimeout(st.typingTimer);
    els.typing.textContent = '';
    els.typing.classList.remove('on');
  }

  function nearBottom() {
    const l = els.log;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 120;
  }

  function scrollDown(force) {
    if (force || nearBottom()) els.log.scrollTop = els.log.scrollHeight;
  }

  // ---- sending ----------------------------------------------------------------

  function setPendingState(p, state) {
    p.state = state;
    const li = p.li;
    li.classList.remove('sending', 'failed', 'sent');
    li.classList.add(state);
    const meta = li.querySelector('.meta');
    meta.textContent = '';
    if (state === 'failed') {
      const retry = TD.el('button', 'retry', t('w.failed'));
      retry.type = 'button';
      retry.addEventListener('click', () => sendPending(p));
      meta.appendChild(retry);
    } else {
      meta.textContent = state === 'sending' ? t('w.sending') : TD.formatTime(p.at, lang) + ' · ' + t('w.sent');
    }
  }

  function markSent(p, seq) {
    clearTimeout(p.timer);
    st.pending.delete(p.cmid);
    if (seq != null) {
      p.li.dataset.seq = String(seq);
      st.seen.add(seq);
      // lastSeq moves with events only: an earlier event may still be on its way
      // place it where the log says it belongs
      p.li.remove();
      insertBySeq(p.li, seq);
    }
    setPendingState(p, 'sent');
  }

  function markFailed(p) {
    clearTimeout(p.timer);
    if (st.opening === p) st.opening = null;
    setPendingState(p, 'failed');
  }

  function submit(text) {
    const body = text.trim();
    if (!body) return;
    const p = { cmid: TD.clientMsgId('w'), body, state: 'sending', li: null, timer: null, at: Date.now() };
    p.li = bubble(true, '', body, null, p.cmid);
    els.list.appendChild(p.li);
    st.pending.set(p.cmid, p);
    if (st.conv && st.conv.status === 'closed') resetConversation();
    sendPending(p);
    scrollDown(true);
  }

  function sendPending(p) {
    setPendingState(p, 'sending');
    if (!st.conv) {
      openConversation(p);
      return;
    }
    if (!st.subscribed || !st.socket) return; // flushed after (re)subscribing
    const ok = st.socket.send({
      type: 'send',
      conversation_id: st.conv.id,
      client_msg_id: p.cmid,
      body: p.body,
      ref: p.cmid,
    });
    if (ok) {
      clearTimeout(p.timer);
      p.timer = setTimeout(() => {
        if (p.state === 'sending') markFailed(p);
      }, 15000);
    }
  }

  // Resends every message still waiting for its ack (same client_msg_id:
  // the server stores each exactly once).
  function flush() {
    st.pending.forEach((p) => {
      if (p.state === 'sending') sendPending(p);
    });
  }

  async function openConversation(p) {
    if (st.opening && st.opening !== p) return; // sent once the conversation exists
    st.opening = p;
    await whenSession();
    const subject = Array.from(p.body.replace(/\s+/g, ' ').trim()).slice(0, 80).join('');
    let r;
    try {
      r = await api('POST', '/v1/widget/conversations', {
        subject,
        body: p.body,
        client_msg_id: p.cmid,
        language: lang,
      });
    } catch (_) {
      r = { status: 0 };
    }
    st.opening = null;
    if (r.status === 200 || r.status === 201) {
      setConversation(r.data.conversation);
      (r.data.events || []).forEach((ev) => onEvent(ev, false));
      if (st.pending.has(p.cmid)) markSent(p, null);
      if (st.socket) subscribe();
      // others typed meanwhile go out once subscribed
      return;
    }
    if (r.status === 401) {
      storage.del(tokenKey);
      markFailed(p);
      init();
      return;
    }
    // Nothing could be opened: every message waiting for it fails with it.
    st.pending.forEach((x) => {
      if (x.state === 'sending') markFailed(x);
    });
    markFailed(p);
  }

  // ---- input ------------------------------------------------------------------

  function autosize() {
    const i = els.input;
    i.style.height = 'auto';
    i.style.height = Math.min(i.scrollHeight, 120) + 'px';
  }

  // A message that looks like a secret gets a warning first; "send anyway"
  // sends it (the server then hides the secret and says so).
  let warnedText = null;
  els.form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = els.input.value;
    if (!text.trim()) return;
    const kind = TD.looksSecret(text);
    if (kind && warnedText !== text) {
      warnedText = text;
      els.secretWarnText.textContent = t('w.secret_warn', { kind: t('w.secret.' + kind) });
      els.secretWarn.hidden = false;
      els.secretEdit.focus();
      return;
    }
    warnedText = null;
    els.secretWarn.hidden = true;
    els.input.value = '';
    autosize();
    submit(text);
    els.input.focus();
  });
  els.secretEdit.addEventListener('click', () => {
    warnedText = null;
    els.secretWarn.hidden = true;
    els.input.focus();
  });
  els.secretSend.addEventListener('click', () => els.form.requestSubmit());
  els.attach.addEventListener('click', () => els.file.click());
  els.file.addEventListener('change', () => {
    const file = els.file.files && els.file.files[0];
    els.file.value = '';
    if (file) uploadFile(file);
  });

  els.input.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter is a new line; never while an IME composes.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      els.form.requestSubmit();
    } else if (e.key === 'Escape') {
      toParent({ type: 'trustdesk:close' });
    }
  });

  els.input.addEventListener('input', () => {
    autosize();
    const now = Date.now();
    if (st.subscribed && st.conv && now - st.lastTypingSent > 2500 && els.input.value) {
      st.lastTypingSent = now;
      st.socket.send({ type: 'typing', conversation_id: st.conv.id });
    }
  });

  els.human.addEventListener('click', () => submit(t('w.human_msg')));
  // Emergency freeze: one confirmed step. Opens a conversation first when
  // there is none, then asks the server to send the freeze request; the
  // outcome arrives as notices in the conversation.
  els.freeze.addEventListener('click', async () => {
    if (!window.confirm(t('w.freeze_confirm'))) return;
    if (!st.conv) {
      submit(t('w.freeze_msg'));
      for (let i = 0; i < 50 && !st.conv; i++) await new Promise((r) => setTimeout(r, 100));
      if (!st.conv) return appendLine(t('w.freeze_error'), 'notice');
    }
    const r = await api('POST', '/v1/widget/conversations/' + encodeURIComponent(st.conv.id) + '/freeze', {});
    if (r.status !== 202) {
      appendLine((r.data && r.data.error && r.data.error.message) || t('w.freeze_error'), 'notice');
      scrollDown(true);
    }
  });
  els.close.addEventListener('click', () => toParent({ type: 'trustdesk:close' }));
  els.newConv.addEventListener('click', () => {
    resetConversation();
    els.input.focus();
  });

  // The loader on the host page says when the panel is shown, and hands
  // over the tokens it keeps for us when our own storage is blocked.
  let storageArrived = null;
  window.addEventListener('message', (ev) => {
    if (ev.source !== parent || !framed) return;
    const d = ev.data || {};
    if (d.type === 'trustdesk:visible') {
      st.visible = !!d.visible;
      if (st.visible) {
        st.unread = 0;
        scrollDown(true);
        els.input.focus();
      }
    } else if (d.type === 'trustdesk:storage' && d.values && typeof d.values === 'object') {
      Object.keys(d.values).forEach((k) => {
        const v = d.values[k];
        if (k.indexOf('trustdesk.token.') === 0 && typeof v === 'string' && !(k in memory)) memory[k] = v;
      });
      if (storageArrived) storageArrived();
    }
  });

  if (!framed) {
    st.visible = true; // opened on its own: behave as shown
    init();
  } else if (localOk) {
    toParent({ type: 'trustdesk:ready' });
    init();
  } else {
    // Wait (briefly) for the tokens the host page keeps for us.
    let started = false;
    const go = () => {
      if (started) return;
      started = true;
      init();
    };
    storageArrived = go;
    setTimeout(go, 1500);
    toParent({ type: 'trustdesk:ready' });
  }
})();
