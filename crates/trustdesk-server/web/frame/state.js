// The widget frame's state and elements, shared by its modules.
import { i18n } from '../lib/i18n.js';
import { Feed } from '../lib/outbox.js';

export const t = i18n.t.bind(i18n);

export const params = new URLSearchParams(location.hash.slice(1));
i18n.set(i18n.detect(params.get('lang')));
export const lang = i18n.lang;

// The verified identity, handed over by the loader on the host page
// (`trustdesk:identity`), never read from a URL; null for an anonymous chat.
export let identity = null;

/** Adopts the identity the host page handed over (checked by the server). */
export function setIdentity(value) {
  const ok = value && typeof value === 'object'
    && typeof value.user_id === 'string' && typeof value.user_hash === 'string';
  identity = ok
    ? {
        user_id: value.user_id,
        user_hash: value.user_hash,
        name: typeof value.name === 'string' ? value.name : undefined,
        email: typeof value.email === 'string' ? value.email : undefined,
      }
    : null;
}

const $ = (id) => document.getElementById(id);

export const els = {
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
  feedback: $('feedback'),
  feedbackOpen: $('feedback-open'),
  feedbackBody: $('feedback-body'),
  feedbackError: $('feedback-error'),
  feedbackSend: $('feedback-send'),
  feedbackCancel: $('feedback-cancel'),
};

export const st = {
  token: null,
  conv: null, // the conversation row
  feed: new Feed(), // its order and cursor
  outbox: null, // set by chat.js
  opening: null, // the pending message that is opening the conversation
  socket: null,
  visible: false,
  unread: 0,
  typingTimer: null,
  lastTypingSent: 0,
  initAttempt: 0,
  sessionOk: false,
};
