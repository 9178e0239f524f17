// Feedback for the product team from the widget frame: a suggestion or a
// complaint, with or without a conversation (POST /v1/widget/feedback,
// docs/feedback.md). The server screens the text with the secret guard and
// answers with the text as kept; a difference means something was removed.
import { els, st, t } from './state.js';
import { appendLine, scrollDown } from './render.js';
import { api, whenSession } from './chat.js';

function open(on) {
  els.feedback.hidden = !on;
  els.feedbackOpen.setAttribute('aria-expanded', String(on));
  els.feedbackError.textContent = '';
  if (on) els.feedbackBody.focus();
  else els.feedbackOpen.focus();
}

els.feedbackOpen.addEventListener('click', () => open(els.feedback.hidden));
els.feedbackCancel.addEventListener('click', () => open(false));
els.feedback.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') open(false);
});

els.feedback.addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = els.feedbackBody.value.trim();
  if (!body) {
    els.feedbackError.textContent = t('w.fb_empty');
    els.feedbackBody.focus();
    return;
  }
  const checked = els.feedback.querySelector('input[name=fb-kind]:checked');
  const kind = checked ? checked.value : 'suggestion';
  els.feedbackSend.disabled = true;
  els.feedbackError.textContent = '';
  await whenSession();
  const req = { kind, body };
  if (st.conv) req.conversation_id = st.conv.id;
  const r = await api('POST', '/v1/widget/feedback', req);
  els.feedbackSend.disabled = false;
  if (r.status === 201) {
    els.feedbackBody.value = '';
    open(false);
    appendLine(t(kind === 'complaint' ? 'w.fb_thanks_complaint' : 'w.fb_thanks'), 'status fb-thanks');
    if (r.data && typeof r.data.body === 'string' && r.data.body !== body) appendLine(t('w.fb_redacted'), 'notice');
    scrollDown(true);
  } else if (r.status === 429) {
    els.feedbackError.textContent = t('w.fb_rate_limited');
  } else {
    els.feedbackError.textContent = t('w.fb_failed');
  }
});
