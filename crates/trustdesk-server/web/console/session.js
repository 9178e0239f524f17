// Signing in (password, second factor, enrolment, recovery codes), the
// session's socket and the frames it brings, the language switch, and boot.
import { Socket } from '../lib/socket.js';
import { createApi } from '../lib/api.js';
import { i18n } from '../lib/i18n.js';
import { mountAdminPages } from './admin.js';
import { renderMyReviews } from './qa.js';
import { els, LANG_KEY, st, t, TOKEN_KEY } from './state.js';
import { loadInbox, onConversation, renderInbox, setFilter } from './inbox.js';
import {
  onEvent, openConversation, renderHeader, rerenderEvents, showTyping, subscribe,
} from './conversation.js';
import { renderDetails } from './details.js';
import { acked, sendTyping, setMode } from './composer.js';
import { toast } from './actions.js';

export const api = createApi({
  token: () => st.token,
  onUnauthorized: (path) => {
    if (path !== '/v1/agent/login') sessionEnded();
  },
});

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
  st.outbox.clear();
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
  showView(null);
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

function connect() {
  st.socket = new Socket({
    token: st.token,
    onReady: () => {
      st.socket.send({ type: 'subscribe_inbox' });
      // a new connection counts as available; restore the choice
      if (els.presence.value !== 'online') st.socket.send({ type: 'presence', status: els.presence.value });
      // anything missed while away: reload the list, resume the open conversation
      loadInbox();
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
      if (st.feed.confirm(f.conversation_id)) {
        st.outbox.flush();
        if (els.compose.value) sendTyping(true);
      }
      break;
    case 'ack':
      acked(f.client_msg_id, f.seq);
      break;
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
      if (st.outbox.refused(f.ref, f.code, f.retry_after_ms)) break;
      if (f.ref === 'sub' && f.code === 'cursor_ahead') {
        st.feed.rewind();
        subscribe();
      } else if (f.ref) toast(t('c.error', { code: f.code }));
      break;
    }
    default:
      break;
  }
}

// ---- admin pages ------------------------------------------------------------------

// What the admin pages and "My QA reviews" get from the console.
const pageCtx = {
  api,
  me: () => st.me,
  token: () => st.token,
  toast,
  // A conversation linked from an admin page (a dry run, a firing, a review).
  open: (id) => {
    showView(null);
    openConversation(id);
  },
};

function mountAdmin() {
  const has = mountAdminPages(els['admin-view'], pageCtx);
  els['admin-btn'].hidden = !has;
}

// One of the full-width views over the inbox: 'admin', 'myqa' or none.
function showView(view) {
  els['admin-view'].hidden = view !== 'admin';
  els['myqa-view'].hidden = view !== 'myqa';
  document.querySelector('.main').hidden = !!view;
  els['admin-btn'].textContent = view === 'admin' ? t('a.back') : t('a.open');
  els['admin-btn'].setAttribute('aria-pressed', view === 'admin' ? 'true' : 'false');
  els['myqa-btn'].textContent = view === 'myqa' ? t('a.back') : t('c.myqa');
  els['myqa-btn'].setAttribute('aria-pressed', view === 'myqa' ? 'true' : 'false');
  if (view === 'myqa') renderMyReviews(els['myqa-view'], pageCtx);
}
els['admin-btn'].addEventListener('click', () => showView(els['admin-view'].hidden ? 'admin' : null));
els['myqa-btn'].addEventListener('click', () => showView(els['myqa-view'].hidden ? 'myqa' : null));

// ---- boot --------------------------------------------------------------------

export async function boot() {
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
