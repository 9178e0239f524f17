// CSAT in the widget frame: a 1–5 rating with an optional comment, offered
// once the conversation is resolved; the server takes one per resolution.
// The comment may also be sent to the product team as feedback.
import { el } from '../lib/dom.js';
import { els, st, t } from './state.js';
import { appendLine, scrollDown } from './render.js';
import { api, onEvent } from './chat.js';

export function showRatingCard(seq) {
  removeRatingCard();
  const li = el('li', 'rating-card');
  li.id = 'rating-card';
  li.dataset.seq = String(seq + 0.5);
  const q = el('p', 'rating-q', t('w.rate_q'));
  q.id = 'rating-q';
  li.appendChild(q);
  const stars = el('div', 'stars');
  stars.setAttribute('role', 'radiogroup');
  stars.setAttribute('aria-labelledby', 'rating-q');
  let score = 0;
  const buttons = [];
  for (let n = 1; n <= 5; n++) {
    const b = el('button', 'star', '★');
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
  // The comment can also go to the product team, as a suggestion or a
  // complaint (docs/feedback.md); nothing is sent there without a comment.
  const fbWrap = el('label', 'rating-fb');
  fbWrap.appendChild(el('span', null, t('w.rate_fb')));
  const fb = document.createElement('select');
  fb.className = 'rating-feedback';
  [['', 'w.rate_fb_none'], ['suggestion', 'w.rate_fb_suggestion'], ['complaint', 'w.rate_fb_complaint']].forEach(([v, key]) => {
    const o = el('option', null, t(key));
    o.value = v;
    fb.appendChild(o);
  });
  fbWrap.appendChild(fb);
  li.appendChild(fbWrap);
  const send = el('button', 'primary rating-send', t('w.rate_send'));
  send.type = 'button';
  send.disabled = true;
  send.addEventListener('click', async () => {
    if (!score || !st.conv) return;
    send.disabled = true;
    const text = comment.value.trim();
    const r = await api('POST', '/v1/widget/conversations/' + encodeURIComponent(st.conv.id) + '/rating', {
      score,
      comment: text || undefined,
      feedback: (text && fb.value) || undefined,
    });
    if (r.status === 201) {
      onEvent(r.data.event, true);
      if (text && fb.value) appendLine(t('w.rate_fb_sent'), 'status');
    }
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

export function removeRatingCard() {
  const card = document.getElementById('rating-card');
  if (card) card.remove();
}
