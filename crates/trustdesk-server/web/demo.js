// trustdesk demo and landing pages: language (?lang=zh|en, else the
// browser's), the embed snippet, and the widget itself on the demo page.
import { i18n } from './lib/i18n.js';

const query = new URLSearchParams(location.search);
i18n.set(i18n.detect(query.get('lang')));
i18n.apply();
document.title = document.body.classList.contains('demo') ? i18n.t('d.title') : 'trustdesk';

const lang = document.getElementById('lang');
if (lang) {
  lang.addEventListener('click', () => {
    const next = i18n.lang === 'zh' ? 'en' : 'zh';
    const url = new URL(location.href);
    url.searchParams.set('lang', next);
    location.assign(url.toString());
  });
}

const snippet = document.getElementById('snippet');
if (snippet) {
  snippet.textContent =
    '<script src="' + location.origin + '/widget.js"\n' +
    '        data-locale="' + i18n.lang + '" async></script>\n\n' +
    '<!-- verified customers (hash computed by your backend):\n' +
    '     data-user-id="u123" data-user-hash="hex(HMAC-SHA256(identity_secret, \'u123\'))" -->';
}

// The demo page is "an exchange's website": it embeds the widget the way
// any exchange would, with one script tag.
if (document.body.dataset.widget === 'on') {
  const s = document.createElement('script');
  s.src = '/widget.js';
  s.async = true;
  s.dataset.locale = i18n.lang;
  document.body.appendChild(s);
}
