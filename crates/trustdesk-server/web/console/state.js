// The console's state and elements, shared by its views.
import { i18n } from '../lib/i18n.js';
import { Feed } from '../lib/outbox.js';

export const t = i18n.t.bind(i18n);

export const TOKEN_KEY = 'trustdesk.agent.token';
export const LANG_KEY = 'trustdesk.console.lang';

function savedLang() {
  try { return localStorage.getItem(LANG_KEY); } catch (_) { return null; }
}
i18n.set(i18n.detect(savedLang()));

export const st = {
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
  feed: new Feed(), // the open conversation's order and cursor
  outbox: null, // messages not yet acknowledged (set by composer.js)
  events: [], // the open conversation's events, for re-rendering
  socket: null,
  mode: 'reply',
  typingTimer: null,
  lastTypingSent: 0,
  inboxSeq: 0,
  search: { q: '', label: '' }, // the inbox's text search and label filter
  macros: [], // the desk's macros, for the conversation's menu
};

export const els = {};
[
  'login-view', 'login-form', 'email', 'password', 'login-error', 'login-btn', 'login-lang',
  'tfa-form', 'tfa-code', 'tfa-error', 'tfa-btn', 'tfa-back', 'enrol-form', 'enrol-qr',
  'enrol-secret', 'enrol-code', 'enrol-error', 'enrol-btn', 'recovery-view', 'recovery-list',
  'recovery-done',
  'app', 'conn', 'me', 'lang', 'logout', 'toast', 'inbox-list', 'inbox-empty',
  'conv-empty', 'conv-view', 'conv-title', 'conv-meta', 'act-assign', 'act-pending',
  'act-resolve', 'act-reopen', 'act-close', 'events', 'typing', 'composer', 'mode-reply',
  'mode-note', 'compose', 'send', 'details', 'details-list', 'canned-menu', 'attach', 'file',
  'kb-list', 'kb-empty', 'admin-btn', 'admin-view', 'related-list', 'related-empty', 'channels-list',
  'sla-list', 'presence', 'act-transfer', 'act-snooze', 'act-remind', 'act-dialog', 'act-form', 'act-dialog-title',
  'act-fields', 'act-error', 'act-cancel', 'conv-labels', 'macro-select', 'inbox-search', 'inbox-q',
  'inbox-label', 'label-options', 'myqa-btn', 'myqa-view',
].forEach((id) => { els[id] = document.getElementById(id); });
