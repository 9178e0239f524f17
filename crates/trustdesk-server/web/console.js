// trustdesk agent console: sign-in, a live inbox, the conversation view with
// replies, internal notes and status changes. REST for reads and commands,
// the WebSocket (protocol v1) for everything live. All user content is
// inserted with textContent, never as HTML.
'use strict';
(function () {
  const TD = window.TD;
  const i18n = TD.i18n;
  const t = i18n.t.bind(i18n);
  const $ = (id) => document.getElementById(id);

  const TOKEN_KEY = 'trustdesk.agent.token';
  const LANG_KEY = 'trustdesk.console.lang';

  function savedLang() {
    try { return localStorage.getItem(LANG_KEY); } catch (_) { return null; }
  }
  i18n.set(i18n.detect(savedLang()));

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

  const st = {
    token: null,
    ticket: null, // login ticket between the password and the second factor
    loggedIn: null, // the session answer held while recovery codes are shown
    me: null,
    agents: new Map(),
    filter: 'open',
    convs: new Map(), // the inbox under the current filter
    unread: new Set(),
    current: null, // conversation row on screen
    customer: null,
    lastSeq: 0,
    seen: new Set(),
    subscribed: false,
    pending: new Map(),
    socket: null,
    mode: 'reply',
    typingTimer: null,
    lastTypingSent: 0,
    inboxSeq: 0,
  };

  const els = {};
  [
    'login-view', 'login-form', 'email', 'password', 'login-error', 'login-btn', 'login-lang',
    'tfa-form', 'tfa-code', 'tfa-error', 'tfa-btn', 'tfa-back', 'enrol-form', 'enrol-qr',
    'enrol-secret', 'enrol-code', 'enrol-error', 'enrol-btn', 'recovery-view', 'recovery-list',
    'recovery-done',
    'app', 'conn', 'me', 'lang', 'logout', 'toast', 'inbox-list', 'inbox-empty',
    'conv-empty', 'conv-view', 'conv-title', 'conv-meta', 'act-assign', 'act-pending',
    'act-resolve', 'act-reopen', 'act-close', 'events', 'typing', 'composer', 'mode-reply',
    'mode-note', 'compose', 'send', 'details', 'details-list', 'canned-menu', 'attach', 'file',
    'kb-list', 'kb-empty', 'admin-btn', 'admin-view', 'related-list', 'related-empty',
    'sla-list', 'presence', 'act-transfer', 'act-snooze', 'act-remind', 'act-dialog', 'act-form', 'act-dialog-title',
    'act-fields', 'act-error', 'act-cancel',
  ].forEach((id) => { els[id] = $(id); });

  // ---- REST ---------------------------------------------------------------

  async function api(method, path, body) {
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (st.token) headers.authorization = 'Bearer ' + st.token;
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (_) {
      return { status: 0, data: null };
    }
    let data = null;
    try { data = await res.json(); } catch (_) { /* no body */ }
    if (res.status === 401 && st.token && path !== '/v1/agent/login') sessionEnded();
    return { status: res.status, data };
  }

  // ---- sign-in ------------------------------------------------------------

  // One step of the sign-in card at a time: password, code, enrolment,
  // recovery codes.
  function showStep(step) {
    els['login-form'].hidden = step !== 'password';
    els['tfa-form'].hidden = step !== 'totp';
    els['enrol-form'].hidden = step !== 'enrol';
    els['recovery-view'].hidden = step !== 'recovery';
  }

  function showLogin(message) {
    els.app.hidden = true;
    els['login-view'].hidden = false;
    st.ticket = null;
    showStep('password');
    els['login-error'].textContent = message || '';
    els['login-btn'].disabled = false;
    els['login-btn'].textContent = t('c.signin');
    els.email.focus();
  }

  function sessionEnded() {
    stopSession();
    showLogin(t('c.session_ended'));
  }

  function stopSession() {
    if (st.socket) st.socket.stop();
    st.socket = null;
    st.token = null;
    st.me = null;
    st.current = null;
    st.convs.clear();
    st.pending.clear();
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (_) { /* ignore */ }
  }

  els['login-form'].addEventListener('submit', async (e) => {
    e.preventDefault();
    const email = els.email.value.trim();
    const password = els.password.value;
    if (!email || !password) {
      els['login-error'].textContent = t('c.bad_login');
      return;
    }
    els['login-btn'].disabled = true;
    els['login-btn'].textContent = t('c.signing');
    els['login-error'].textContent = '';
    const r = await api('POST', '/v1/agent/login', { email, password });
    els['login-btn'].disabled = false;
    els['login-btn'].textContent = t('c.signin');
    if (r.status === 200) {
      els.password.value = '';
      st.ticket = r.data.ticket;
      if (r.data.next === 'enrol') {
        await beginEnrolment();
      } else {
        showStep('totp');
        els['tfa-error'].textContent = '';
        els['tfa-code'].value = '';
        els['tfa-code'].focus();
      }
    } else if (r.status === 401) {
      els['login-error'].textContent = t('c.bad_login');
      els.password.focus();
    } else {
      els['login-error'].textContent = t('c.login_error');
    }
  });

  function signedIn(data) {
    st.ticket = null;
    st.token = data.token;
    try { sessionStorage.setItem(TOKEN_KEY, st.token); } catch (_) { /* ignore */ }
    start(data.agent);
  }

  // A failed code: the ticket may have expired (start again) or the code
  // was wrong or already used.
  function codeRefused(r, errorEl) {
    if (r.status === 401) errorEl.textContent = t('c.bad_code');
    else if (r.status === 429) errorEl.textContent = t('c.error', { code: 'rate_limited' });
    else errorEl.textContent = t('c.login_error');
  }

  els['tfa-form'].addEventListener('submit', async (e) => {
    e.preventDefault();
    const code = els['tfa-code'].value.trim();
    if (!code) return;
    els['tfa-btn'].disabled = true;
    const r = await api('POST', '/v1/agent/login/2fa', { ticket: st.ticket, code });
    els['tfa-btn'].disabled = false;
    if (r.status === 200) {
      els['tfa-code'].value = '';
      signedIn(r.data);
      if (r.data.recovery_codes_left != null) toast(t('c.recovery_left', { n: r.data.recovery_codes_left }));
    } else {
      codeRefused(r, els['tfa-error']);
      els['tfa-code'].select();
    }
  });
  els['tfa-back'].addEventListener('click', () => showLogin(''));

  async function beginEnrolment() {
    const r = await api('POST', '/v1/agent/2fa/enrol', { ticket: st.ticket });
    if (r.status !== 200) {
      showLogin(t('c.ticket_expired'));
      return;
    }
    // The QR code is shown as an image (a data: URL), never inserted as
    // markup.
    const svg = r.data.qr_svg;
    els['enrol-qr'].src = 'data:image/svg+xml;base64,' + btoa(svg);
    els['enrol-secret'].textContent = r.data.secret;
    els['enrol-error'].textContent = '';
    els['enrol-code'].value = '';
    showStep('enrol');
    els['enrol-code'].focus();
  }

  els['enrol-form'].addEventListener('submit', async (e) => {
    e.preventDefault();
    const code = els['enrol-code'].value.trim();
    if (!code) return;
    els['enrol-btn'].disabled = true;
    const r = await api('POST', '/v1/agent/2fa/confirm', { ticket: st.ticket, code });
    els['enrol-btn'].disabled = false;
    if (r.status !== 200) {
      codeRefused(r, els['enrol-error']);
      return;
    }
    st.loggedIn = r.data;
    els['recovery-list'].textContent = '';
    (r.data.recovery_codes || []).forEach((c) => {
      const li = document.createElement('li');
      li.textContent = c;
      els['recovery-list'].appendChild(li);
    });
    els['enrol-secret'].textContent = '';
    els['enrol-qr'].removeAttribute('src');
    showStep('recovery');
    els['recovery-done'].focus();
  });

  els['recovery-done'].addEventListener('click', () => {
    const data = st.loggedIn;
    st.loggedIn = null;
    els['recovery-list'].textContent = '';
    if (data) signedIn(data);
  });

  els.logout.addEventListener('click', async () => {
    if (st.token) await api('POST', '/v1/agent/logout');
    stopSession();
    showLogin('');
  });

  // ---- language -----------------------------------------------------------

  function toggleLang() {
    i18n.set(i18n.lang === 'zh' ? 'en' : 'zh');
    try { localStorage.setItem(LANG_KEY, i18n.lang); } catch (_) { /* ignore */ }
    i18n.apply();
    document.title = t('c.title');
    if (st.me) {
      renderMe();
      renderInbox();
      if (st.current) {
        renderHeader();
        renderDetails();
        rerenderEvents();
      }
      setMode(st.mode);
      setConn(st.connState);
    }
  }
  els.lang.addEventListener('click', toggleLang);
  els['login-lang'].addEventListener('click', toggleLang);

  // ---- the session ---------------------------------------------------------

  async function start(agent) {
    st.me = agent;
    els['login-view'].hidden = true;
    els.app.hidden = false;
    renderMe();
    const r = await api('GET', '/v1/agent/agents');
    if (r.status === 200) (r.data.agents || []).forEach((a) => st.agents.set(a.id, a));
    st.agents.set(agent.id, agent);
    setFilter(st.filter, false);
    connect();
    const fromHash = /^#c=([0-9a-fA-F-]{36})$/.exec(location.hash);
    if (fromHash) openConversation(fromHash[1]);
  }

  function renderMe() {
    if (!st.me) return;
    els.me.textContent = st.me.display_name + ' · ' + i18n.v('role', st.me.role);
    mountAdmin();
    // "My team" only means something to an agent in a team.
    const teamTab = document.querySelector('.filters [data-filter=team]');
    if (teamTab) teamTab.hidden = !st.me.team_id;
  }

  function agentName(id) {
    const a = id && st.agents.get(id);
    return a ? a.display_name : id ? id.slice(0, 8) : '';
  }

  function connect() {
    st.socket = new TD.Socket({
      token: st.token,
      onReady: () => {
        st.socket.send({ type: 'subscribe_inbox' });
        // a new connection counts as available; restore the choice
        if (els.presence.value !== 'online') st.socket.send({ type: 'presence', status: els.presence.value });
        // anything missed while away: reload the list, resume the open conversation
        loadInbox();
        st.subscribed = false;
        if (st.current) subscribe();
      },
      onFrame: onFrame,
      onState: setConn,
      onFatal: () => sessionEnded(),
    });
    st.socket.start();
  }

  function setConn(state) {
    st.connState = state;
    const label = { open: t('c.online'), connecting: t('c.connecting'), offline: t('c.offline') }[state] || '';
    els.conn.textContent = label;
    els.conn.className = 'conn-pill ' + (state || '');
  }

  function onFrame(f) {
    switch (f.type) {
      case 'conversation':
        onConversation(f.conversation);
        break;
      case 'event':
        if (st.current && f.event.conversation_id === st.current.id) onEvent(f.event, true);
        break;
      case 'subscribed':
        if (st.current && f.conversation_id === st.current.id) {
          st.subscribed = true;
          flush();
          if (els.compose.value) sendTyping(true);
        }
        break;
      case 'ack': {
        const p = st.pending.get(f.client_msg_id);
        if (p) markSent(p, f.seq);
        break;
      }
      case 'presence_set':
        els.presence.value = f.status;
        break;
      case 'notice':
        // Reminders, SLA warnings, transfers to me, requeues.
        toast(f.text || f.code, f.code !== 'sla_breached');
        if (st.filter === 'sla' && /^sla_/.test(f.code || '')) loadInbox();
        if (!st.current || f.conversation_id !== st.current.id) st.unread.add(f.conversation_id);
        renderInbox();
        break;
      case 'typing':
        if (st.current && f.conversation_id === st.current.id) {
          const a = f.actor || {};
          showTyping(a.type === 'customer' ? t('c.typing_customer') : t('c.typing', { name: a.name || t('c.someone') }));
        }
        break;
      case 'error': {
        const p = f.ref ? st.pending.get(f.ref) : null;
        if (p) markFailed(p);
        else if (f.ref === 'sub' && f.code === 'cursor_ahead') {
          st.lastSeq = 0;
          subscribe();
        } else if (f.ref) toast(t('c.error', { code: f.code }));
        break;
      }
      default:
        break;
    }
  }

  // ---- inbox -----------------------------------------------------------------

  function setFilter(name, focus) {
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

  async function loadInbox() {
    const seq = ++st.inboxSeq;
    const filter = st.filter;
    const f = FILTERS[filter];
    const q = typeof f.query === 'function' ? f.query() : f.query;
    const r = await api('GET', f.path || '/v1/agent/conversations?limit=100&' + q);
    if (seq !== st.inboxSeq || r.status !== 200) return;
    st.convs.clear();
    (r.data.conversations || []).forEach((c) => st.convs.set(c.id, c));
    renderInbox();
  }

  function onConversation(c) {
    if (FILTERS[st.filter].match(c)) st.convs.set(c.id, c);
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

  function renderInbox() {
    const list = els['inbox-list'];
    list.textContent = '';
    const convs = sortedConvs();
    els['inbox-empty'].hidden = convs.length > 0;
    convs.forEach((c) => {
      const li = TD.el('li', 'inbox-item');
      li.setAttribute('role', 'option');
      li.dataset.id = c.id;
      const selected = st.current && st.current.id === c.id;
      li.setAttribute('aria-selected', selected ? 'true' : 'false');
      li.tabIndex = selected || (!st.current && list.children.length === 0) ? 0 : -1;
      if (st.unread.has(c.id) && !selected) li.classList.add('unread');
      const top = TD.el('div', 'row');
      top.appendChild(TD.el('span', 'subject', c.subject || t('c.no_subject')));
      top.appendChild(TD.el('span', 'time', TD.formatTime(c.updated_at, i18n.lang)));
      li.appendChild(top);
      const bottom = TD.el('div', 'row tags');
      bottom.appendChild(TD.el('span', 'chip st-' + c.status, t('st.' + c.status)));
      if (c.urgent) bottom.appendChild(TD.el('span', 'chip urgent', t('c.urgent')));
      if (c.language) bottom.appendChild(TD.el('span', 'chip', i18n.v('lang', c.language)));
      bottom.appendChild(TD.el('span', 'assignee', c.assignee_id ? agentName(c.assignee_id) : t('c.unassigned')));
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

  function step(delta) {
    const convs = sortedConvs();
    if (!convs.length) return;
    let i = st.current ? convs.findIndex((c) => c.id === st.current.id) : -1;
    i = i < 0 ? 0 : Math.max(0, Math.min(convs.length - 1, i + delta));
    openConversation(convs[i].id);
  }

  // ---- the conversation -------------------------------------------------------

  async function openConversation(id) {
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
    st.lastSeq = 0;
    st.seen.clear();
    st.subscribed = false;
    st.unread.delete(id);
    history.replaceState(null, '', '#c=' + id);
    els['conv-empty'].hidden = true;
    els['conv-view'].hidden = false;
    els.events.textContent = '';
    hideTyping();
    st.events = [];
    (r.data.events || []).forEach((ev) => onEvent(ev, false));
    // keep unsent messages typed for this conversation
    st.pending.forEach((p) => {
      if (p.conversationId === id) els.events.appendChild(p.li);
    });
    renderHeader();
    renderDetails();
    renderInbox();
    subscribe();
    scrollDown(true);
    els.compose.focus();
  }

  function subscribe() {
    if (!st.current || !st.socket) return;
    st.socket.send({ type: 'subscribe', conversation_id: st.current.id, since: st.lastSeq, ref: 'sub' });
  }

  function renderHeader() {
    const c = st.current;
    if (!c) return;
    els['conv-title'].textContent = c.subject || t('c.no_subject');
    const meta = els['conv-meta'];
    meta.textContent = '';
    meta.appendChild(TD.el('span', 'chip st-' + c.status, t('st.' + c.status)));
    if (c.urgent) meta.appendChild(TD.el('span', 'chip urgent', t('c.urgent')));
    meta.appendChild(TD.el('span', 'who', customerName()));
    if (st.customer && st.customer.external_id) meta.appendChild(TD.el('span', 'chip verified', t('c.verified')));
    meta.appendChild(TD.el('span', 'assignee', c.assignee_id ? t('c.assigned_to', { name: agentName(c.assignee_id) }) : t('c.unassigned')));
    const s = c.status;
    els['act-assign'].hidden = !!(st.me && c.assignee_id === st.me.id);
    els['act-pending'].hidden = s === 'pending' || s === 'resolved' || s === 'closed';
    els['act-snooze'].hidden = s === 'resolved' || s === 'closed';
    els['act-transfer'].hidden = s === 'closed';
    els['act-resolve'].hidden = s === 'resolved' || s === 'closed';
    els['act-reopen'].hidden = s === 'open';
    els['act-close'].hidden = s === 'closed';
  }

  function customerName() {
    const c = st.customer;
    if (!c) return t('c.customer');
    return c.name || c.email || (c.external_id ? c.external_id : t('c.anonymous'));
  }

  function renderDetails() {
    const c = st.current;
    const cu = st.customer;
    const dl = els['details-list'];
    dl.textContent = '';
    const row = (k, v) => {
      if (v == null || v === '') return;
      dl.appendChild(TD.el('dt', null, k));
      dl.appendChild(TD.el('dd', null, v));
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
    loadSla();
  }

  // The conversation's SLA clocks: each metric due, paused, done or missed.
  let slaSeq = 0;
  async function loadSla() {
    const seq = ++slaSeq;
    const id = st.current && st.current.id;
    if (!id) return;
    const r = await api('GET', '/v1/agent/conversations/' + encodeURIComponent(id) + '/sla');
    if (seq !== slaSeq) return;
    const list = els['sla-list'];
    list.textContent = '';
    const clocks = r.status === 200 ? r.data.clocks || [] : [];
    if (!clocks.length) list.appendChild(TD.el('li', 'empty', t('c.sla_none')));
    clocks.forEach((c) => {
      let text;
      let cls = 'ok';
      const at = c.due_at ? TD.formatTime(c.due_at, i18n.lang) : '';
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
      const li = TD.el('li', 'sla-item ' + cls);
      li.appendChild(TD.el('span', 'sla-metric', t('sla.' + c.metric)));
      li.appendChild(TD.el('span', 'sla-state', text));
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
      const li = TD.el('li', 'related-item');
      const b = TD.el('button', 'link-btn', c.subject || t('c.no_subject'));
      b.type = 'button';
      b.addEventListener('click', () => openConversation(c.id));
      li.appendChild(b);
      li.appendChild(TD.el('span', 'chip st-' + c.status, t('st.' + c.status)));
      li.appendChild(TD.el('span', 'time', TD.formatTime(c.updated_at, i18n.lang)));
      list.appendChild(li);
    });
  }

  function actorName(a) {
    if (!a) return t('c.someone');
    if (a.type === 'agent') return a.name || agentName(a.id);
    if (a.type === 'customer') return customerName();
    if (a.type === 'bot') return t('c.bot');
    return t('c.system');
  }

  function onEvent(ev, live) {
    if (st.seen.has(ev.seq)) return;
    st.seen.add(ev.seq);
    st.lastSeq = Math.max(st.lastSeq, ev.seq);
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

  function rerenderEvents() {
    const pending = Array.from(st.pending.values()).filter((p) => st.current && p.conversationId === st.current.id);
    els.events.textContent = '';
    st.events.slice().sort((a, b) => a.seq - b.seq).forEach(renderEvent);
    pending.forEach((p) => {
      setPendingState(p, p.state);
      els.events.appendChild(p.li);
    });
  }

  function insertBySeq(li, seq) {
    const items = Array.from(els.events.children);
    const after = items.find((x) => x.dataset.seq && Number(x.dataset.seq) > seq);
    const firstPending = items.find((x) => !x.dataset.seq);
    els.events.insertBefore(li, after || firstPending || null);
  }

  function messageItem(kind, actor, body, at) {
    const mine = actor && actor.type === 'agent';
    const li = TD.el('li', 'ev ' + kind + (kind === 'message' ? (mine ? ' agent' : ' customer') : ''));
    const head = TD.el('div', 'ev-head');
    if (kind === 'note') head.appendChild(TD.el('span', 'note-label', t('c.note_label')));
    head.appendChild(TD.el('span', 'ev-who', actorName(actor)));
    head.appendChild(TD.el('span', 'ev-time', at ? TD.formatTime(at, i18n.lang) : ''));
    li.appendChild(head);
    li.appendChild(TD.el('p', 'ev-body', body));
    li.appendChild(TD.el('span', 'ev-state'));
    return li;
  }

  function renderEvent(ev) {
    const k = ev.kind || {};
    let li = null;
    if (k.type === 'message' || k.type === 'note') {
      const p = ev.client_msg_id ? st.pending.get(ev.client_msg_id) : null;
      if (p) {
        markSent(p, ev.seq);
        return;
      }
      li = messageItem(k.type, ev.actor, k.body, ev.at);
      if (ev.client_msg_id) li.dataset.cmid = ev.client_msg_id;
    } else if (k.type === 'status_changed') {
      li = TD.el('li', 'ev line', t('c.ev_status', { who: actorName(ev.actor), from: t('st.' + k.from), to: t('st.' + k.to) }));
    } else if (k.type === 'assigned') {
      const self = k.to && ev.actor && ev.actor.type === 'agent' && ev.actor.id === k.to;
      const text = self
        ? t('c.ev_took', { who: actorName(ev.actor) })
        : k.to
        ? t('c.ev_assigned', { who: actorName(ev.actor), to: agentName(k.to) })
        : t('c.ev_unassigned', { who: actorName(ev.actor) });
      li = TD.el('li', 'ev line', text);
    } else if (k.type === 'triaged') {
      li = TD.el('li', 'ev line triage', t('c.ev_triaged', {
        category: i18n.v('cat', k.category), language: i18n.v('lang', k.language), priority: i18n.v('pr', k.priority),
        urgent: k.urgent ? ' · ' + t('c.urgent') : '',
      }));
    } else if (k.type === 'system_notice') {
      li = TD.el('li', 'ev line notice', k.text || k.code || '');
    } else if (k.type === 'crypto_context') {
      li = TD.el('li', 'ev line crypto');
      (k.mentions || []).forEach((m) => {
        const row = TD.el('div', 'crypto-ref' + (m.valid && !m.mismatch ? '' : ' warn'));
        const what = m.kind === 'tx_hash' ? t('c.crypto_tx') : t('c.crypto_addr');
        const check = m.valid ? t('c.crypto_valid') : t('c.crypto_invalid');
        let text = what + ' ' + m.text + ' · ' + (m.networks || []).join('/') + ' · ' + check;
        if (m.mismatch) text += ' · ' + t('c.crypto_mismatch', { network: m.mismatch });
        row.textContent = text;
        li.appendChild(row);
      });
    } else if (k.type === 'bot_reply') {
      const titles = (k.articles || []).map((a) => a.title).join(' · ');
      li = TD.el('li', 'ev line bot', t('c.ev_bot', { articles: titles, confidence: Math.round((k.confidence || 0) * 100) }));
    } else if (k.type === 'transferred') {
      const to = k.to_agent ? agentName(k.to_agent) : t('c.team', { name: teamName(k.to_team) });
      li = TD.el('li', 'ev line', t('c.ev_transferred', { who: actorName(ev.actor), to, reason: k.reason || '' }));
    } else if (k.type === 'priority_changed') {
      li = TD.el('li', 'ev line', t('c.ev_priority', { from: i18n.v('pr', k.from), to: i18n.v('pr', k.to), reason: k.reason || '' }));
    } else if (k.type === 'sla_warning' || k.type === 'sla_breached') {
      li = TD.el('li', 'ev line sla ' + (k.type === 'sla_breached' ? 'breached' : 'warning'), t('c.ev_' + k.type, {
        metric: t('sla.' + k.metric), at: TD.formatTime(k.due_at, i18n.lang),
      }));
    } else if (k.type === 'reminder_set') {
      li = TD.el('li', 'ev line reminder', t('c.ev_reminder_set', { at: TD.formatTime(k.at, i18n.lang), note: k.note || '' }));
    } else if (k.type === 'reminder_due') {
      li = TD.el('li', 'ev line reminder', t('c.ev_reminder_due', { note: k.note || '' }));
    } else if (k.type === 'attachment') {
      li = fileItem(ev);
    } else if (k.type === 'rated') {
      li = TD.el('li', 'ev line rated', t('c.ev_rated', { score: k.score }) + (k.comment ? ': ' + k.comment : ''));
    } else {
      return; // kinds this version does not know
    }
    li.dataset.seq = String(ev.seq);
    insertBySeq(li, ev.seq);
  }

  function renderPendingItem(p) {
    const li = messageItem(p.internal ? 'note' : 'message', { type: 'agent', id: st.me.id, name: st.me.display_name }, p.body, p.at);
    li.dataset.cmid = p.cmid;
    return li;
  }

  function showTyping(text) {
    els.typing.textContent = text;
    clearTimeout(st.typingTimer);
    st.typingTimer = setTimeout(hideTyping, 5000);
  }

  function hideTyping() {
    clearTimeout(st.typingTimer);
    els.typing.textContent = '';
  }

  function scrollDown(force) {
    const l = els.events;
    if (force || l.scrollHeight - l.scrollTop - l.clientHeight < 150) l.scrollTop = l.scrollHeight;
  }

  // ---- composing ------------------------------------------------------------

  function setMode(mode) {
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

  function setPendingState(p, state) {
    p.state = state;
    p.li.classList.remove('sending', 'failed', 'sent');
    p.li.classList.add(state);
    const box = p.li.querySelector('.ev-state');
    box.textContent = '';
    if (state === 'sending') box.textContent = t('c.sending');
    else if (state === 'failed') {
      const b = TD.el('button', 'retry', t('c.failed'));
      b.type = 'button';
      b.addEventListener('click', () => sendPending(p));
      box.appendChild(b);
    }
  }

  function markSent(p, seq) {
    clearTimeout(p.timer);
    st.pending.delete(p.cmid);
    p.li.dataset.seq = String(seq);
    setPendingState(p, 'sent');
    if (st.current && p.conversationId === st.current.id) {
      if (!st.seen.has(seq)) {
        st.seen.add(seq);
        // lastSeq moves with events only: an earlier event may still be on its way
      }
      if (!st.events.some((e) => e.seq === seq)) {
        st.events.push({
          seq, at: p.at, conversation_id: p.conversationId, client_msg_id: p.cmid,
          actor: { type: 'agent', id: st.me.id, name: st.me.display_name },
          visibility: p.internal ? 'internal' : 'public',
          kind: { type: p.internal ? 'note' : 'message', body: p.body },
        });
      }
      p.li.remove();
      insertBySeq(p.li, seq);
    }
  }

  function markFailed(p) {
    clearTimeout(p.timer);
    setPendingState(p, 'failed');
  }

  function sendPending(p) {
    setPendingState(p, 'sending');
    if (!st.subscribed || !st.socket || !st.current || st.current.id !== p.conversationId) return;
    const ok = st.socket.send({
      type: 'send', conversation_id: p.conversationId, client_msg_id: p.cmid,
      body: p.body, internal: p.internal, ref: p.cmid,
    });
    if (ok) {
      clearTimeout(p.timer);
      p.timer = setTimeout(() => { if (p.state === 'sending') markFailed(p); }, 15000);
    }
  }

  function flush() {
    st.pending.forEach((p) => {
      if (p.state === 'sending' && st.current && p.conversationId === st.current.id) sendPending(p);
    });
  }

  els.composer.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = els.compose.value.trim();
    if (!body || !st.current) return;
    const p = {
      cmid: TD.clientMsgId('a'),
      body,
      internal: st.mode === 'note',
      conversationId: st.current.id,
      at: Date.now(),
      state: 'sending',
    };
    p.li = renderPendingItem(p);
    els.events.appendChild(p.li);
    st.pending.set(p.cmid, p);
    els.compose.value = '';
    sendPending(p);
    scrollDown(true);
    els.compose.focus();
  });

  els.compose.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.isComposing) {
      e.preventDefault();
      els.composer.requestSubmit();
    }
  });

  function sendTyping(force) {
    // Typing in note mode must never show up in the customer's widget.
    if (st.mode !== 'reply' || !st.current || !st.subscribed || !els.compose.value) return;
    const now = Date.now();
    if (force || now - st.lastTypingSent > 2500) {
      st.lastTypingSent = now;
      st.socket.send({ type: 'typing', conversation_id: st.current.id });
    }
  }
  els.compose.addEventListener('input', () => sendTyping(false));

  // ---- commands ----------------------------------------------------------------

  async function setStatus(status) {
    if (!st.current) return;
    const r = await api('POST', '/v1/agent/conversations/' + st.current.id + '/status', { status });
    if (r.status !== 200) toast(t('c.error', { code: (r.data && r.data.error && r.data.error.code) || r.status }));
  }

  async function assignToMe() {
    if (!st.current || !st.me) return;
    const r = await api('POST', '/v1/agent/conversations/' + st.current.id + '/assign', { agent_id: st.me.id });
    if (r.status !== 200) toast(t('c.error', { code: (r.data && r.data.error && r.data.error.code) || r.status }));
  }

  els['act-assign'].addEventListener('click', assignToMe);
  els['act-pending'].addEventListener('click', () => setStatus('pending'));
  els['act-resolve'].addEventListener('click', () => setStatus('resolved'));
  els['act-reopen'].addEventListener('click', () => setStatus('open'));
  els['act-close'].addEventListener('click', () => setStatus('closed'));

  let toastTimer = null;
  function toast(text, ok) {
    els.toast.classList.toggle('ok', !!ok);
    els.toast.textContent = text;
    els.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { els.toast.hidden = true; }, 5000);
  }

  // ---- keyboard shortcuts ---------------------------------------------------------

  document.addEventListener('keydown', (e) => {
    if (!st.me || !e.altKey || e.ctrlKey || e.metaKey) return;
    const code = e.code;
    if (code === 'KeyN' && st.current) {
      e.preventDefault();
      setMode('note');
      els.compose.focus();
    } else if (code === 'KeyR' && st.current) {
      e.preventDefault();
      setMode('reply');
      els.compose.focus();
    } else if (code === 'KeyJ') {
      e.preventDefault();
      step(1);
    } else if (code === 'KeyK') {
      e.preventDefault();
      step(-1);
    } else if (code === 'KeyS' && st.current) {
      e.preventDefault();
      setStatus('resolved');
    }
  });

  // ---- attachments ----------------------------------------------------------------

  // A shared file (see TD.showFile).
  function fileItem(ev) {
    const f = ev.kind.file;
    const li = TD.el('li', 'ev file ' + (ev.actor && ev.actor.type === 'agent' ? 'agent' : 'customer'));
    const head = TD.el('div', 'ev-head');
    head.appendChild(TD.el('span', 'ev-who', t('c.ev_file', { who: actorName(ev.actor) })));
    head.appendChild(TD.el('span', 'ev-time', TD.formatTime(ev.at, i18n.lang)));
    li.appendChild(head);
    TD.showFile(li, f, st.token, t('w.download'));
    return li;
  }

  els.attach.addEventListener('click', () => els.file.click());
  els.file.addEventListener('change', async () => {
    const file = els.file.files && els.file.files[0];
    els.file.value = '';
    if (!file || !st.current) return;
    let status = 0;
    let data = null;
    try {
      const res = await fetch('/v1/agent/conversations/' + encodeURIComponent(st.current.id) + '/attachments?name=' + encodeURIComponent(file.name), {
        method: 'POST',
        headers: { authorization: 'Bearer ' + st.token, 'content-type': 'application/octet-stream' },
        body: file,
        credentials: 'omit',
      });
      status = res.status;
      data = await res.json().catch(() => null);
    } catch (_) { /* status 0 */ }
    if (status !== 201) toast((data && data.error && data.error.message) || t('c.error', { code: status }));
  });

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
      const li = TD.el('li', 'canned-item' + (i === canned.active ? ' active' : ''));
      li.id = 'canned-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', i === canned.active ? 'true' : 'false');
      li.appendChild(TD.el('span', 'canned-short', '/' + c.shortcut));
      li.appendChild(TD.el('span', 'canned-title', c.title));
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

  // ---- knowledge-base suggestions ---------------------------------------------------------

  // Articles for the open conversation: searched with the customer's latest
  // message, in the conversation's language. "Insert" puts the title and
  // the excerpt in the composer for the agent to edit.
  let kbSeq = 0;
  async function suggestArticles() {
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
      const li = TD.el('li', 'kb-item');
      li.appendChild(TD.el('span', 'kb-title', h.title));
      li.appendChild(TD.el('p', 'kb-snippet', h.snippet));
      const b = TD.el('button', 'btn small', t('c.kb_insert'));
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

  // ---- transfer, snooze, reminders, presence ------------------------------------------------

  const teams = new Map();
  function teamName(id) {
    const team = teams.get(id);
    return team ? team.name : id ? id.slice(0, 8) : '';
  }
  async function loadTeams() {
    const r = await api('GET', '/v1/agent/teams');
    if (r.status === 200) (r.data.teams || []).forEach((x) => teams.set(x.id, x));
  }

  function field(labelKey, input) {
    const wrap = TD.el('div', 'field');
    const id = 'act-' + Math.random().toString(36).slice(2, 8);
    input.id = id;
    const label = TD.el('label', null, t(labelKey));
    label.htmlFor = id;
    wrap.appendChild(label);
    wrap.appendChild(input);
    els['act-fields'].appendChild(wrap);
    return input;
  }

  function select(options) {
    const s = document.createElement('select');
    options.forEach(([value, label]) => {
      const o = document.createElement('option');
      o.value = value;
      o.textContent = label;
      s.appendChild(o);
    });
    return s;
  }

  function tomorrowNine() {
    const d = new Date();
    d.setDate(d.getDate() + 1);
    d.setHours(9, 0, 0, 0);
    return d.getTime();
  }

  const HOUR = 3600000;
  const LATER = () => [
    [String(HOUR), t('c.h1')], [String(4 * HOUR), t('c.h4')], ['tomorrow', t('c.tomorrow')],
    [String(24 * HOUR), t('c.h24')], [String(72 * HOUR), t('c.d3')], [String(168 * HOUR), t('c.week')],
  ];
  const untilOf = (v) => (v === 'tomorrow' ? tomorrowNine() : Date.now() + Number(v));

  // One dialog for the three actions: `build` adds the fields and returns
  // the request to send when the form is submitted.
  let dialogSubmit = null;
  function openDialog(titleKey, build) {
    if (!st.current) return;
    els['act-fields'].textContent = '';
    els['act-error'].textContent = '';
    els['act-dialog-title'].textContent = t(titleKey);
    dialogSubmit = build();
    els['act-dialog'].showModal();
    const first = els['act-fields'].querySelector('select, input, textarea');
    if (first) first.focus();
  }
  els['act-cancel'].addEventListener('click', () => els['act-dialog'].close());
  els['act-form'].addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!dialogSubmit || !st.current) return;
    if (!els['act-form'].reportValidity()) return;
    const [path, body] = dialogSubmit();
    const r = await api('POST', '/v1/agent/conversations/' + encodeURIComponent(st.current.id) + path, body);
    if (r.status >= 200 && r.status < 300) els['act-dialog'].close();
    else els['act-error'].textContent = (r.data && r.data.error && r.data.error.message) || t('c.error', { code: r.status });
  });

  els['act-transfer'].addEventListener('click', async () => {
    if (!teams.size) await loadTeams();
    openDialog('c.transfer_title', () => {
      const options = [];
      st.agents.forEach((a) => {
        if (!st.me || a.id !== st.me.id) options.push(['agent:' + a.id, a.display_name]);
      });
      teams.forEach((x) => options.push(['team:' + x.id, t('c.team', { name: x.name })]));
      const to = field('c.transfer_to', select(options));
      const reason = field('c.reason', document.createElement('textarea'));
      reason.required = true;
      reason.maxLength = 500;
      return () => {
        const [kind, id] = to.value.split(':');
        return ['/transfer', kind === 'agent' ? { agent_id: id, reason: reason.value } : { team_id: id, reason: reason.value }];
      };
    });
  });

  els['act-snooze'].addEventListener('click', () => openDialog('c.snooze_title', () => {
    const when = field('c.in', select(LATER()));
    return () => ['/status', { status: 'snoozed', snoozed_until: untilOf(when.value) }];
  }));

  els['act-remind'].addEventListener('click', () => openDialog('c.remind_title', () => {
    const when = field('c.in', select(LATER()));
    const note = field('c.note_what', document.createElement('input'));
    note.required = true;
    note.maxLength = 500;
    return () => ['/reminders', { at: untilOf(when.value), note: note.value }];
  }));

  els.presence.addEventListener('change', () => {
    if (st.socket) st.socket.send({ type: 'presence', status: els.presence.value, ref: 'presence' });
  });

  // The "SLA at risk" list moves with time, not only with events.
  setInterval(() => {
    if (st.me && st.filter === 'sla') loadInbox();
  }, 60000);

  // ---- admin pages ------------------------------------------------------------------

  function mountAdmin() {
    if (!TD.admin) return;
    const has = TD.admin.mount(els['admin-view'], {
      api,
      me: () => st.me,
      toast,
    });
    els['admin-btn'].hidden = !has;
  }

  function showAdmin(on) {
    els['admin-view'].hidden = !on;
    document.querySelector('.main').hidden = on;
    els['admin-btn'].textContent = on ? t('a.back') : t('a.open');
    els['admin-btn'].setAttribute('aria-pressed', on ? 'true' : 'false');
  }
  els['admin-btn'].addEventListener('click', () => showAdmin(els['admin-view'].hidden));

  // ---- boot --------------------------------------------------------------------

  async function boot() {
    i18n.apply();
    document.title = t('c.title');
    setMode('reply');
    try { st.token = sessionStorage.getItem(TOKEN_KEY); } catch (_) { st.token = null; }
    if (!st.token) {
      showLogin('');
      return;
    }
    const r = await api('GET', '/v1/agent/me');
    if (r.status === 200) start(r.data);
    else if (r.status !== 401) showLogin(t('c.login_error'));
  }
  boot();
})();
