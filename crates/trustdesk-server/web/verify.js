// The public "is this official?" page: asks GET /v1/verify and shows the
// verdict. Every value from the server is inserted as text.
const T = {
  en: {
    title: 'Is this official?', check: 'Check', label: 'Address, handle, number or badge', lang: '中文',
    intro: 'Check a website, email address, Telegram account, phone number, social profile or support agent badge before you trust it.',
    rule: 'Official support never asks for your seed phrase, private key, password or 2FA codes, never asks for remote access, and never asks you to send funds "for verification".',
    ok: 'Verified: this is official.', bad: 'NOT verified: do not trust it.',
    badWhy: 'It is not in our list of official channels. Do not send it money, codes or personal data.',
    lookalike: 'It imitates our official domain {d}: this is a typical phishing trick.',
    limited: 'Too many checks from your network; please wait a minute.', error: 'The check failed: {m}',
    kinds: { domain: 'Website', email: 'Email', telegram: 'Telegram', phone: 'Phone', social: 'Social profile', agent_id: 'Agent badge' },
  },
  zh: {
    title: '这是官方渠道吗？', check: '查询', label: '网址、账号、电话或客服工号', lang: 'English',
    intro: '在信任之前，先查询网站、邮箱、Telegram 账号、电话号码、社交账号或客服工号是否为官方渠道。',
    rule: '官方客服绝不会索要助记词、私钥、密码或验证码，绝不会要求远程控制您的设备，也绝不会让您转账“验证”。',
    ok: '已验证：这是官方渠道。', bad: '未验证：请不要相信它。',
    badWhy: '它不在我们的官方渠道名单中。请不要向它转账、提供验证码或个人信息。',
    lookalike: '它在模仿我们的官方域名 {d}，这是典型的钓鱼手法。',
    limited: '查询过于频繁，请一分钟后再试。', error: '查询失败：{m}',
    kinds: { domain: '网站', email: '邮箱', telegram: 'Telegram', phone: '电话', social: '社交账号', agent_id: '客服工号' },
  },
};
let lang = (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
const $ = (id) => document.getElementById(id);
function apply() {
  const t = T[lang];
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t.title + ' · trustdesk';
  ['title', 'intro', 'label', 'check', 'rule', 'lang'].forEach((k) => { $(k).textContent = t[k]; });
}
function show(ok, lines) {
  const box = $('result');
  box.replaceChildren();
  box.className = ok ? 'ok' : 'bad';
  lines.forEach((text, i) => {
    const el = document.createElement(i === 0 ? 'strong' : 'p');
    el.textContent = text;
    box.appendChild(el);
  });
  box.hidden = false;
}
$('lang').addEventListener('click', () => { lang = lang === 'zh' ? 'en' : 'zh'; apply(); $('result').hidden = true; });
$('form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const t = T[lang];
  const value = $('value').value.trim();
  if (!value) return;
  try {
    const res = await fetch('/v1/verify?value=' + encodeURIComponent(value));
    const body = await res.json();
    if (res.status === 429) return show(false, [t.limited]);
    if (!res.ok) return show(false, [t.error.replace('{m}', (body.error && body.error.message) || res.status)]);
    const kind = t.kinds[body.kind] || body.kind;
    if (body.verified) {
      show(true, [t.ok, kind + ': ' + body.value + (body.label ? ' (' + body.label + ')' : '')]);
    } else {
      const lines = [t.bad, kind + ': ' + body.value, t.badWhy];
      if (body.lookalike_of) lines.splice(2, 0, t.lookalike.replace('{d}', body.lookalike_of));
      show(false, lines);
    }
  } catch (err) {
    show(false, [t.error.replace('{m}', String(err))]);
  }
});
apply();
