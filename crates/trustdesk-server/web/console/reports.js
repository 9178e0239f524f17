// trustdesk console: the reports page (supervisors and admins). Filters
// (period, time zone, grouping, basis, category, channel), the totals,
// two charts drawn as inline SVG (no charting library, no CDN) and the
// figures per group, with CSV exports of exactly what is shown; then the QA
// score per agent (docs/qa.md) and the customers' feedback (docs/feedback.md)
// over the same period. The definitions are docs/reports.md; every value is
// inserted as text.
import { el, formatTime } from '../lib/dom.js';
import { i18n } from '../lib/i18n.js';

const TEXT = {
  en: {
    from: 'From', to: 'To', tz: 'Time zone', group_by: 'Group by', basis: 'Durations',
    calendar: 'calendar time', business: 'business hours', category: 'Category', channel: 'Channel',
    all: 'all', none: 'total only', show: 'Show', csv_groups: 'CSV (groups)', csv_rows: 'CSV (conversations)',
    'g.category': 'category', 'g.language': 'language', 'g.channel': 'channel', 'g.agent': 'agent',
    'g.team': 'team', 'g.day': 'day', 'g.week': 'week', 'g.month': 'month',
    conversations: 'Conversations', frt: 'First response (median)', frt_p90: 'p90 {v}',
    resolution: 'Resolution (median)', sla: 'SLA first response met', csat: 'CSAT',
    deflection: 'Bot deflection', reopened: 'Reopened',
    chart_frt: 'Median first response per group (minutes)', chart_volume: 'Conversations per group',
    group: 'Group', n: 'n', median: 'median', p90: 'p90', mean: 'mean',
    truncated: 'More conversations than one report reads: narrow the period.',
    defs: 'Bot and system messages are not responses; a reopen restarts the resolution; responses count for the agent who replied.',
    empty: 'No conversations in this period.',
    qa_title: 'QA per agent', qa_agent: 'Agent', qa_reviews: 'Reviews', qa_mean: 'Mean score',
    qa_pass: 'Passed', qa_critical: 'Critical failures', qa_empty: 'No review made in this period.',
    qa_defs: 'Reviews made in the period; a critical failure fails a review whatever its score.',
    fb_title: 'Feedback', fb_kind: 'Kind', fb_csv: 'CSV (feedback)', 'k.suggestion': 'suggestion',
    'k.complaint': 'complaint', fb_when: 'When', fb_source: 'From', 'src.widget': 'widget', 'src.rating': 'rating comment',
    fb_language: 'Language', fb_body: 'Text', fb_conv: 'Conversation', fb_open: 'Open', fb_empty: 'No feedback in this period.',
    fb_count: '{n} in the period',
  },
  zh: {
    from: '开始', to: '结束', tz: '时区', group_by: '分组', basis: '时长口径',
    calendar: '自然时间', business: '工作时间', category: '分类', channel: '渠道',
    all: '全部', none: '仅合计', show: '查看', csv_groups: 'CSV（分组）', csv_rows: 'CSV（逐条会话）',
    'g.category': '分类', 'g.language': '语言', 'g.channel': '渠道', 'g.agent': '客服',
    'g.team': '团队', 'g.day': '按天', 'g.week': '按周', 'g.month': '按月',
    conversations: '会话数', frt: '首次响应（中位数）', frt_p90: 'p90 {v}',
    resolution: '解决时长（中位数）', sla: '首次响应 SLA 达成', csat: '满意度',
    deflection: '机器人解决率', reopened: '重新打开',
    chart_frt: '各组首次响应中位数（分钟）', chart_volume: '各组会话数',
    group: '分组', n: '数量', median: '中位数', p90: 'p90', mean: '平均',
    truncated: '会话数超过单份报表上限，请缩短时间范围。',
    defs: '机器人和系统消息不算响应；重新打开会重新计算解决时长；响应计入回复的客服。',
    empty: '该时间段没有会话。',
    qa_title: '各客服质检', qa_agent: '客服', qa_reviews: '质检数', qa_mean: '平均得分',
    qa_pass: '合格率', qa_critical: '关键项不通过', qa_empty: '该时间段没有质检。',
    qa_defs: '按质检时间统计；关键项不通过时，无论得分多少该次质检均不合格。',
    fb_title: '客户反馈', fb_kind: '类型', fb_csv: 'CSV（反馈）', 'k.suggestion': '建议',
    'k.complaint': '投诉', fb_when: '时间', fb_source: '来源', 'src.widget': '挂件', 'src.rating': '评价评论',
    fb_language: '语言', fb_body: '内容', fb_conv: '会话', fb_open: '打开', fb_empty: '该时间段没有反馈。',
    fb_count: '该时间段共 {n} 条',
  },
};

function w(key, vars) {
  let s = (TEXT[i18n.lang] || TEXT.en)[key] || TEXT.en[key] || key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] == null ? m : String(vars[k])));
  return s;
}

const GROUPS = ['', 'category', 'language', 'channel', 'agent', 'team', 'day', 'week', 'month'];
const CATEGORIES = ['', 'account', 'trading', 'transfer', 'security', 'storage', 'compliance'];
const CHANNELS = ['', 'web', 'email', 'telegram', 'api'];

// 95000 → "1 min 35 s"; null → "—".
export function duration(ms) {
  if (ms == null) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return s + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min' + (s % 60 ? ' ' + (s % 60) + ' s' : '');
  const h = Math.floor(m / 60);
  return h + ' h' + (m % 60 ? ' ' + (m % 60) + ' min' : '');
}

function pct(v) {
  return v == null ? '—' : v.toFixed(1) + ' %';
}

function isoDate(d) {
  return d.toISOString().slice(0, 10);
}

function field(label, input) {
  const box = el('label', 'report-field');
  box.appendChild(el('span', null, label));
  box.appendChild(input);
  return box;
}

function select(name, values, labelOf) {
  const s = document.createElement('select');
  s.name = name;
  values.forEach((v) => {
    const o = el('option', null, labelOf(v));
    o.value = v;
    s.appendChild(o);
  });
  return s;
}

const SVG = 'http://www.w3.org/2000/svg';
function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, String(v)));
  if (text != null) e.textContent = String(text);
  return e;
}

// A horizontal bar chart: one bar per [label, value], scaled to the
// largest value, value written at the bar's end.
export function barChart(title, rows, format) {
  const figure = el('figure', 'report-chart');
  figure.appendChild(el('figcaption', null, title));
  const barH = 22;
  const labelW = 150;
  const width = 560;
  const height = Math.max(rows.length, 1) * (barH + 6) + 4;
  const svg = svgEl('svg', { viewBox: '0 0 ' + width + ' ' + height, width: '100%', role: 'img', 'aria-label': title });
  const max = Math.max(1, ...rows.map((r) => r[1] || 0));
  rows.forEach(([label, value], i) => {
    const y = 2 + i * (barH + 6);
    const len = Math.round(((value || 0) / max) * (width - labelW - 80));
    svg.appendChild(svgEl('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end', class: 'chart-label' }, label));
    svg.appendChild(svgEl('rect', { x: labelW, y, width: Math.max(len, 1), height: barH, rx: 3, class: 'chart-bar' }));
    svg.appendChild(svgEl('text', { x: labelW + len + 6, y: y + 15, class: 'chart-value' }, format(value)));
  });
  figure.appendChild(svg);
  return figure;
}

function groupLabel(groupBy, g) {
  if (g.key === 'unset') return '—';
  if (groupBy === 'category') return i18n.v('cat', g.key);
  if (groupBy === 'language') return i18n.v('lang', g.key);
  return g.label || g.key;
}

function card(label, value, sub) {
  const c = el('div', 'report-card');
  c.appendChild(el('div', 'report-card-label', label));
  c.appendChild(el('div', 'report-card-value', value));
  if (sub) c.appendChild(el('div', 'report-card-sub', sub));
  return c;
}

export const REPORTS_PAGE = {
  id: 'reports',
  role: 'supervisor',
  title: 'a.reports',
  render: async (body, ctx) => {
    body.classList.add('reports');
    const form = el('form', 'report-filters');
    const today = new Date();
    const from = document.createElement('input');
    from.type = 'date';
    from.name = 'from';
    from.value = isoDate(new Date(today.getTime() - 29 * 86400000));
    const to = document.createElement('input');
    to.type = 'date';
    to.name = 'to';
    to.value = isoDate(today);
    const tz = document.createElement('input');
    tz.name = 'tz';
    tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    const groupBy = select('group_by', GROUPS, (g) => (g ? w('g.' + g) : w('none')));
    groupBy.value = 'category';
    const basis = select('basis', ['calendar', 'business'], w);
    const category = select('category', CATEGORIES, (c) => (c ? i18n.v('cat', c) : w('all')));
    const channel = select('channel', CHANNELS, (c) => (c || w('all')));
    [[w('from'), from], [w('to'), to], [w('tz'), tz], [w('group_by'), groupBy], [w('basis'), basis],
      [w('category'), category], [w('channel'), channel]].forEach(([l, i]) => form.appendChild(field(l, i)));
    const show = el('button', 'btn primary', w('show'));
    show.type = 'submit';
    form.appendChild(show);
    const csvGroups = el('button', 'btn', w('csv_groups'));
    csvGroups.type = 'button';
    const csvRows = el('button', 'btn', w('csv_rows'));
    csvRows.type = 'button';
    form.appendChild(csvGroups);
    form.appendChild(csvRows);
    body.appendChild(form);
    const out = el('div', 'report-out');
    out.setAttribute('aria-live', 'polite');
    body.appendChild(out);

    const query = () => {
      const q = new URLSearchParams();
      [from, to, tz, groupBy, basis, category, channel].forEach((i) => { if (i.value) q.set(i.name, i.value); });
      return q;
    };

    // The QA table and the feedback list, over the same period.
    const qaOut = el('section', 'report-qa');
    qaOut.setAttribute('aria-live', 'polite');
    body.appendChild(qaOut);
    const fbBox = el('section', 'report-feedback');
    fbBox.appendChild(el('h3', null, w('fb_title')));
    const fbForm = el('div', 'report-filters fb-filters');
    const kind = select('kind', ['', 'suggestion', 'complaint'], (k) => (k ? w('k.' + k) : w('all')));
    fbForm.appendChild(field(w('fb_kind'), kind));
    const csvFeedback = el('button', 'btn', w('fb_csv'));
    csvFeedback.type = 'button';
    fbForm.appendChild(csvFeedback);
    fbBox.appendChild(fbForm);
    const fbOut = el('div', 'fb-out');
    fbOut.setAttribute('aria-live', 'polite');
    fbBox.appendChild(fbOut);
    body.appendChild(fbBox);

    const period = () => {
      const q = new URLSearchParams();
      [from, to, tz].forEach((i) => { if (i.value) q.set(i.name, i.value); });
      return q;
    };
    const feedbackQuery = () => {
      const q = period();
      if (kind.value) q.set('kind', kind.value);
      return q;
    };

    async function fetchCsv(url, name) {
      const res = await fetch(url, {
        headers: { authorization: 'Bearer ' + ctx.token() },
        credentials: 'omit',
      });
      if (!res.ok) return ctx.toast('HTTP ' + res.status);
      const blobUrl = URL.createObjectURL(await res.blob());
      const a = el('a');
      a.href = blobUrl;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(blobUrl), 10000);
    }
    function download(rows) {
      const q = query();
      q.set('rows', rows);
      return fetchCsv('/v1/reports/export?' + q, 'trustdesk-' + rows + '-' + from.value + '.csv');
    }
    csvGroups.addEventListener('click', () => download('groups'));
    csvRows.addEventListener('click', () => download('conversations'));
    csvFeedback.addEventListener('click', () => fetchCsv('/v1/admin/feedback/export?' + feedbackQuery(),
      'trustdesk-feedback-' + (kind.value ? kind.value + '-' : '') + from.value + '.csv'));

    function tableOf(cls, headers) {
      const tbl = el('table', 'admin-table ' + cls);
      const thead = document.createElement('thead');
      const head = document.createElement('tr');
      headers.forEach((h) => head.appendChild(el('th', null, h)));
      thead.appendChild(head);
      tbl.appendChild(thead);
      const tbody = document.createElement('tbody');
      tbl.appendChild(tbody);
      return [tbl, tbody];
    }

    async function loadQa() {
      const r = await ctx.api('GET', '/v1/reports/qa?' + period());
      qaOut.textContent = '';
      qaOut.appendChild(el('h3', null, w('qa_title')));
      if (r.status !== 200) {
        qaOut.appendChild(el('p', 'error', (r.data && r.data.error && r.data.error.message) || 'HTTP ' + r.status));
        return;
      }
      const rows = r.data || [];
      if (!rows.length) {
        qaOut.appendChild(el('p', 'empty', w('qa_empty')));
        return;
      }
      const [tbl, tbody] = tableOf('report-qa-table', [w('qa_agent'), w('qa_reviews'), w('qa_mean'), w('qa_pass'), w('qa_critical')]);
      rows.forEach((q) => {
        const tr = document.createElement('tr');
        tr.dataset.agent = q.agent;
        [q.name || String(q.agent).slice(0, 8), q.reviews, pct(q.mean_percent), pct(q.pass_percent), q.critical_fails]
          .forEach((v) => tr.appendChild(el('td', null, String(v))));
        tbody.appendChild(tr);
      });
      qaOut.appendChild(tbl);
      qaOut.appendChild(el('p', 'report-defs', w('qa_defs')));
    }

    async function loadFeedback() {
      const r = await ctx.api('GET', '/v1/admin/feedback?' + feedbackQuery());
      fbOut.textContent = '';
      if (r.status !== 200) {
        fbOut.appendChild(el('p', 'error', (r.data && r.data.error && r.data.error.message) || 'HTTP ' + r.status));
        return;
      }
      const items = r.data || [];
      if (!items.length) {
        fbOut.appendChild(el('p', 'empty', w('fb_empty')));
        return;
      }
      fbOut.appendChild(el('p', 'report-defs', w('fb_count', { n: items.length })));
      const [tbl, tbody] = tableOf('report-fb-table', [w('fb_when'), w('fb_kind'), w('fb_source'), w('fb_language'), w('fb_body'), w('fb_conv')]);
      items.forEach((f) => {
        const tr = document.createElement('tr');
        tr.dataset.kind = f.kind;
        tr.appendChild(el('td', 'fb-when', formatTime(f.created_at, i18n.lang)));
        const k = el('td');
        k.appendChild(el('span', 'chip fb-kind ' + f.kind, w('k.' + f.kind)));
        tr.appendChild(k);
        tr.appendChild(el('td', null, w('src.' + f.source)));
        tr.appendChild(el('td', null, f.language ? i18n.v('lang', f.language) : '—'));
        tr.appendChild(el('td', 'fb-body', f.body));
        const c = el('td');
        if (f.conversation_id && ctx.open) {
          const b = el('button', 'btn small', w('fb_open'));
          b.type = 'button';
          b.addEventListener('click', () => ctx.open(f.conversation_id));
          c.appendChild(b);
        } else c.textContent = '—';
        tr.appendChild(c);
        tbody.appendChild(tr);
      });
      fbOut.appendChild(tbl);
    }
    kind.addEventListener('change', loadFeedback);

    async function load() {
      const r = await ctx.api('GET', '/v1/reports?' + query());
      out.textContent = '';
      if (r.status !== 200) {
        out.appendChild(el('p', 'error', (r.data && r.data.error && r.data.error.message) || 'HTTP ' + r.status));
        return;
      }
      const rep = r.data;
      const tot = rep.total;
      if (rep.truncated) out.appendChild(el('p', 'error', w('truncated')));
      const cards = el('div', 'report-cards');
      cards.appendChild(card(w('conversations'), String(tot.conversations)));
      cards.appendChild(card(w('frt'), duration(tot.first_response.median_ms), w('frt_p90', { v: duration(tot.first_response.p90_ms) }) + ' · n ' + tot.first_response.n));
      cards.appendChild(card(w('resolution'), duration(tot.resolution.median_ms), 'p90 ' + duration(tot.resolution.p90_ms) + ' · n ' + tot.resolution.n));
      cards.appendChild(card(w('sla'), pct(tot.sla.first_response.attainment_percent), tot.sla.first_response.met + ' / ' + (tot.sla.first_response.met + tot.sla.first_response.breached)));
      cards.appendChild(card(w('csat'), tot.csat.mean_score == null ? '—' : tot.csat.mean_score.toFixed(2) + ' / 5', pct(tot.csat.satisfied_percent) + ' · n ' + tot.csat.n));
      cards.appendChild(card(w('deflection'), pct(tot.bot.deflection_percent), tot.bot.resolved + ' / ' + tot.bot.answered));
      cards.appendChild(card(w('reopened'), String(tot.reopened)));
      out.appendChild(cards);
      out.appendChild(el('p', 'report-defs', w('defs')));
      if (!tot.conversations) {
        out.appendChild(el('p', 'empty', w('empty')));
        return;
      }
      const groups = rep.groups || [];
      if (groups.length) {
        const label = (g) => groupLabel(rep.group_by, g);
        const charts = el('div', 'report-charts');
        charts.appendChild(barChart(w('chart_frt'), groups.map((g) => [label(g), g.figures.first_response.median_ms == null ? 0 : g.figures.first_response.median_ms / 60000]), (v) => (v ? v.toFixed(1) : '—')));
        charts.appendChild(barChart(w('chart_volume'), groups.map((g) => [label(g), g.figures.conversations]), (v) => String(v)));
        out.appendChild(charts);
        const table = el('table', 'admin-table report-table');
        const head = document.createElement('tr');
        [w('group'), w('conversations'), w('frt'), 'p90', w('resolution'), w('sla'), w('csat'), w('deflection')].forEach((h) => head.appendChild(el('th', null, h)));
        const thead = document.createElement('thead');
        thead.appendChild(head);
        table.appendChild(thead);
        const tbody = document.createElement('tbody');
        groups.forEach((g) => {
          const f = g.figures;
          const tr = document.createElement('tr');
          [label(g), f.conversations, duration(f.first_response.median_ms), duration(f.first_response.p90_ms),
            duration(f.resolution.median_ms), pct(f.sla.first_response.attainment_percent),
            f.csat.mean_score == null ? '—' : f.csat.mean_score.toFixed(2), pct(f.bot.deflection_percent)]
            .forEach((v) => tr.appendChild(el('td', null, String(v))));
          tbody.appendChild(tr);
        });
        table.appendChild(tbody);
        out.appendChild(table);
      }
    }
    const loadAll = () => Promise.all([load(), loadQa(), loadFeedback()]);
    form.addEventListener('submit', (e) => { e.preventDefault(); loadAll(); });
    await loadAll();
  },
};
