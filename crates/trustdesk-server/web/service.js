// The public service page: the response-time commitments, read from
// GET /v1/service/commitments (the SLA policy the team works to). Every
// value from the server is inserted as text.
const T = {
  en: {
    title: 'Our service commitments', lang: '中文',
    intro: 'How fast official support answers, by how urgent your request is. These targets come straight from the service-level policy our team works to.',
    'h-priority': 'Priority', 'h-first': 'First answer within', 'h-next': 'Each next answer within', 'h-resolution': 'Solved within',
    urgent: 'Account stolen, unauthorised withdrawal or someone posing as support? Open the chat and press the emergency freeze button: urgent security requests go to the front of the queue.',
    'verify-link': 'Is this official? Check a website, account or agent badge.',
    always: 'Support is staffed 24 hours a day, 7 days a week.',
    business: 'Targets count business hours ({hours}{tz}).',
    none: '—', error: 'The commitments could not be loaded. Please try again later.',
    bh: ' (business hours)',
    priorities: { urgent: 'Urgent', high: 'High', normal: 'Normal', low: 'Low' },
    min: '{n} min', h: '{n} h', d: '{n} days',
    'live-title': 'How fast we answered in the last 24 hours', 'h-category': 'Topic',
    'h-median': 'Median first answer', 'h-count': 'Requests answered',
    'live-none': 'No request was answered in the last 24 hours.',
    categories: { account: 'Account', trading: 'Trading', transfer: 'Deposits & withdrawals', security: 'Security', storage: 'Wallets & storage', compliance: 'Regulation & tax', unset: 'Other' },
  },
  zh: {
    title: '我们的服务承诺', lang: 'English',
    intro: '官方客服按请求的紧急程度承诺的响应时间。这些目标直接来自客服团队执行的服务水平（SLA）策略。',
    'h-priority': '优先级', 'h-first': '首次回复', 'h-next': '后续每次回复', 'h-resolution': '解决时限',
    urgent: '账户被盗、未授权提币或有人冒充客服？请打开在线客服并点击“紧急冻结账户”：紧急安全请求会优先处理。',
    'verify-link': '这是官方渠道吗？查询网站、账号或客服工号。',
    always: '客服 7×24 小时在线。',
    business: '时限按工作时间计算（{hours}{tz}）。',
    none: '—', error: '服务承诺加载失败，请稍后再试。',
    bh: '（工作时间）',
    priorities: { urgent: '紧急', high: '高', normal: '普通', low: '低' },
    min: '{n} 分钟', h: '{n} 小时', d: '{n} 天',
    'live-title': '最近 24 小时的实际响应速度', 'h-category': '问题类型',
    'h-median': '首次回复（中位数）', 'h-count': '已回复请求',
    'live-none': '最近 24 小时没有已回复的请求。',
    categories: { account: '账户', trading: '交易', transfer: '充提币', security: '安全', storage: '钱包与存储', compliance: '合规与税务', unset: '其他' },
  },
};
let lang = (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en';
let data = null;
let live = null;
const $ = (id) => document.getElementById(id);

function duration(ms, t) {
  if (ms == null) return t.none;
  const min = Math.round(ms / 60000);
  // 45 min, 90 min, 1 h, 8 h, 3 days: whole hours as hours.
  if (min < 60 || (min % 60 !== 0 && min < 180)) return t.min.replace('{n}', String(Math.max(min, 1)));
  const h = Math.round(min / 60);
  if (h < 72) return t.h.replace('{n}', String(h));
  return t.d.replace('{n}', String(Math.round(h / 24)));
}

function render() {
  const t = T[lang];
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t.title + ' · trustdesk';
  ['title', 'intro', 'h-priority', 'h-first', 'h-next', 'h-resolution', 'urgent', 'verify-link', 'lang',
    'live-title', 'h-category', 'h-median', 'h-count', 'live-none'].forEach((k) => {
    $(k).textContent = t[k];
  });
  renderLive(t);
  const rows = $('rows');
  rows.replaceChildren();
  if (!data) return;
  $('hours').textContent = data.hours === '24/7'
    ? t.always
    : t.business.replace('{hours}', data.hours).replace('{tz}', data.time_zone ? ', ' + data.time_zone : '');
  (data.commitments || []).forEach((c) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = t.priorities[c.priority] || c.priority;
    tr.appendChild(th);
    [c.first_response_ms, c.next_response_ms, c.resolution_ms].forEach((ms) => {
      const td = document.createElement('td');
      td.textContent = duration(ms, t) + (ms != null && c.business_hours ? t.bh : '');
      tr.appendChild(td);
    });
    rows.appendChild(tr);
  });
}

// The measured side: median first answer per topic over the last day.
function renderLive(t) {
  const rows = $('live-rows');
  rows.replaceChildren();
  if (!live) return;
  const answered = (live.categories || []).filter((c) => c.n > 0);
  $('live-none').hidden = answered.length > 0;
  answered.forEach((c) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = t.categories[c.category] || c.category;
    tr.appendChild(th);
    const median = document.createElement('td');
    median.textContent = duration(c.median_first_response_ms, t);
    tr.appendChild(median);
    const n = document.createElement('td');
    n.textContent = String(c.n);
    tr.appendChild(n);
    rows.appendChild(tr);
  });
}

fetch('/v1/service/live')
  .then((res) => (res.ok ? res.json() : null))
  .then((body) => {
    live = body;
    render();
  })
  .catch(() => {});

$('lang').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  render();
});

fetch('/v1/service/commitments')
  .then((res) => (res.ok ? res.json() : Promise.reject(new Error(String(res.status)))))
  .then((body) => {
    data = body;
    render();
  })
  .catch(() => {
    $('error').textContent = T[lang].error;
    $('error').hidden = false;
  });
render();
