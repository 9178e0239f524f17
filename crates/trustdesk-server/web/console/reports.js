// trustdesk console: the reports page (supervisors and admins). Filters
// (period, time zone, grouping, basis, category, channel), the totals,
// two charts drawn as inline SVG (no charting library, no CDN) and the
// figures per group, with CSV exports of exactly what is shown. The
// definitions are docs/reports.md; every value is inserted as text.
import { el } from '../lib/dom.js';
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

    async function download(rows) {
      const q = query();
      q.set('rows', rows);
      const res = await fetch('/v1/reports/export?' + q, {
        headers: { authorization: 'Bearer ' + ctx.token() },
        credentials: 'omit',
      });
      if (!res.ok) return ctx.toast('HTTP ' + res.status);
      const url = URL.createObjectURL(await res.blob());
      const a = el('a');
      a.href = url;
      a.download = 'trustdesk-' + rows + '-' + from.value + '.csv';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    }
    csvGroups.addEventListener('click', () => download('groups'));
    csvRows.addEventListener('click', () => download('conversations'));

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
    form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
    await load();
  },
};
