// trustdesk customer chat, running in the frame /widget/frame that widget.js
// opens on the exchange's page. Talks to this server only: REST for the
// session and the first message, the WebSocket (protocol v1) for the rest.
// Every message is inserted with textContent, never as HTML.
//
//   state.js    the frame's state and elements
//   storage.js  the token store and the messages to and from the loader
//   chat.js     session, socket, events, sending (lib/outbox.js)
//   render.js   drawing the conversation
//   rating.js   the CSAT card
//   feedback.js suggestions and complaints for the product team
import { i18n } from '../lib/i18n.js';
import { looksSecret } from '../lib/secretcheck.js';
import { els, setIdentity, st, t } from './state.js';
import { framed, localOk, storage, toParent } from './storage.js';
import { freeze, init, resetConversation, sendTyping, submit, uploadFile } from './chat.js';
import { scrollDown } from './render.js';
import './feedback.js';

i18n.apply();
document.title = t('w.title');

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
  const kind = looksSecret(text);
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
  sendTyping();
});

els.human.addEventListener('click', () => submit(t('w.human_msg')));
els.freeze.addEventListener('click', freeze);
els.close.addEventListener('click', () => toParent({ type: 'trustdesk:close' }));
els.newConv.addEventListener('click', () => {
  resetConversation();
  els.input.focus();
});

// The loader on the host page says when the panel is shown, and hands over
// the tokens it keeps for us when our own storage is blocked.
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
  } else if (d.type === 'trustdesk:identity') {
    setIdentity(d.identity);
    if (!localOk) return; // the tokens come next
    if (storageArrived) storageArrived();
  } else if (d.type === 'trustdesk:storage' && d.values && typeof d.values === 'object') {
    storage.adopt(d.values);
    if (storageArrived) storageArrived();
  }
});

if (!framed) {
  st.visible = true; // opened on its own: behave as shown
  init();
} else {
  // The loader answers `ready` with the identity (then, for a frame whose
  // own storage is blocked, the tokens it keeps): start once they are here,
  // or anonymously if the host page never answers.
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
