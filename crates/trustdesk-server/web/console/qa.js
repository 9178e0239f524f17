// trustdesk console: conversation reviews (QA, docs/qa.md). The QA admin
// page (supervisors and admins): sample a period per agent, the queue of
// assignments, the review panel (the conversation read-only beside the
// pre-check findings and the scorecard form) and the scorecards,
// read-only. And "My QA reviews", open to every agent: the reviews of
// their own work. Every value is inserted as text.
import { el, formatTime } from '../lib/dom.js';
import { i18n } from '../lib/i18n.js';

const TEXT = {
  en: {
    sample: 'Sample conversations for review', from: 'From', to: 'To', per_agent: 'Per agent',
    reviewer: 'Reviewer', any_reviewer: 'any supervisor', do_sample: 'Sample',
    sampled: '{candidates} resolved conversations in the period · {assigned} new assignments',
    sampled_none: 'Nothing new to review in this period: every conversation is already assigned or reviewed.',
    no_picks: 'no new pick', queue: 'Review queue', show: 'Show', pending: 'to review', all: 'all',
    mine: 'mine (and for anyone)', conversation: 'Conversation', agent: 'Agent', why: 'Why',
    assigned: 'Assigned', status: 'Status', reviewed: 'Reviewed', to_review: 'To review',
    review: 'Review', open_review: 'View', queue_empty: 'No assignment here. Sample a period above.',
    scorecards: 'Scorecards', threshold: 'Pass at {n} %', key: 'Key', category: 'Category', scale: 'Scale',
    weight: 'Weight', critical: 'Critical', description: 'What it means', one_to_five: '1–5', pass_fail: 'pass/fail',
    yes: 'yes', no: '', back: '← Back to the queue', open_inbox: 'Open in the inbox', transcript: 'The conversation',
    findings: 'Pre-checks', findings_none: 'Nothing flagged: read the conversation.', work_of: 'Work of {name}',
    own_work: 'This is your own work: someone else must review it.', no_agent: 'No agent replied in this conversation.',
    scorecard: 'Scorecard', rate: 'choose…', na: 'N/A', pass: 'Pass', fail: 'Fail', poor: 'poor', excellent: 'excellent',
    comment: 'Comment for the agent', submit: 'Submit review', replace: 'Replace the review',
    flagged: 'pre-check', percent: 'Score', passed: 'Passed', failed: 'Failed',
    critical_failed: 'Critical failure: {list}', reviewed_by: 'Reviewed by {name} · {at}', saved: 'Review saved.',
    'why.guard_override': 'guard override', 'why.guard_hit': 'secret pasted', 'why.sla_breach': 'SLA breach',
    'why.low_csat': 'low CSAT', 'why.random': 'random',
    'f.guard_override': 'Sent past the outbound guard’s secret warning ({count}×)',
    'f.secret_redacted': 'The customer pasted a secret (removed by the guard)',
    'f.possible_secret': 'The customer may have pasted a secret',
    'f.sla_breached': 'SLA target missed: {metric}', 'f.low_csat': 'Low CSAT: {score}/5',
    'f.reopened': 'Reopened {count}×', suggests: 'check: {label}',
    'm.first_response': 'first response', 'm.next_response': 'next response', 'm.resolution': 'resolution',
    // My reviews
    my_title: 'Reviews of my work', my_none: 'No review of your work in this period.',
    ratings: 'Ratings', rating: 'Rating', by: 'Reviewer', open_conv: 'Open the conversation',
    customer: 'Customer', bot: 'Bot', system: 'System', status_line: 'Status: {from} → {to}',
    rated_line: 'Customer rated {score}/5', file_line: 'File: {name}', no_subject: '(no subject)',
    no_read: 'You may not read this conversation: it belongs to a team outside your scope. An admin, or a supervisor of that team, can review it.',
  },
  zh: {
    sample: '抽取会话进行质检', from: '开始', to: '结束', per_agent: '每位客服',
    reviewer: '质检员', any_reviewer: '任一主管', do_sample: '抽样',
    sampled: '期间内已解决会话 {candidates} 个 · 新分配 {assigned} 个',
    sampled_none: '该期间没有新的待质检会话：所有会话都已分配或已质检。',
    no_picks: '没有新抽取', queue: '质检队列', show: '显示', pending: '待质检', all: '全部',
    mine: '我的（及未指定的）', conversation: '会话', agent: '客服', why: '原因',
    assigned: '分配时间', status: '状态', reviewed: '已质检', to_review: '待质检',
    review: '质检', open_review: '查看', queue_empty: '暂无分配。请先在上方抽样。',
    scorecards: '评分表', threshold: '{n} % 及格', key: '键', category: '项目', scale: '评分方式',
    weight: '权重', critical: '关键项', description: '说明', one_to_five: '1–5 分', pass_fail: '通过/不通过',
    yes: '是', no: '', back: '← 返回队列', open_inbox: '在收件箱中打开', transcript: '会话内容',
    findings: '预检结果', findings_none: '没有标记：请阅读会话。', work_of: '{name} 的工作',
    own_work: '这是您自己的工作：需由他人质检。', no_agent: '该会话没有客服回复。',
    scorecard: '评分表', rate: '请选择…', na: '不适用', pass: '通过', fail: '不通过', poor: '差', excellent: '优秀',
    comment: '给客服的评语', submit: '提交质检', replace: '替换质检结果',
    flagged: '预检', percent: '得分', passed: '合格', failed: '不合格',
    critical_failed: '关键项不通过：{list}', reviewed_by: '质检员 {name} · {at}', saved: '质检已保存。',
    'why.guard_override': '越过防护提示', 'why.guard_hit': '客户粘贴了密钥', 'why.sla_breach': 'SLA 超时',
    'why.low_csat': '低满意度', 'why.random': '随机',
    'f.guard_override': '客服越过了外发防护的密钥提示（{count} 次）',
    'f.secret_redacted': '客户粘贴了密钥（已被防护删除）',
    'f.possible_secret': '客户可能粘贴了密钥',
    'f.sla_breached': 'SLA 超时：{metric}', 'f.low_csat': '低满意度：{score}/5',
    'f.reopened': '重新打开 {count} 次', suggests: '检查：{label}',
    'm.first_response': '首次响应', 'm.next_response': '后续响应', 'm.resolution': '解决',
    my_title: '我的工作的质检', my_none: '该期间没有您的质检记录。',
    ratings: '评分', rating: '评分', by: '质检员', open_conv: '打开会话',
    customer: '客户', bot: '机器人', system: '系统', status_line: '状态：{from} → {to}',
    rated_line: '客户评分 {score}/5', file_line: '文件：{name}', no_subject: '（无主题）',
    no_read: '您无权查看该会话：它属于您权限范围之外的团队。请由管理员或该团队的主管质检。',
  },
};

function w(key, vars) {
  let s = (TEXT[i18n.lang] || TEXT.en)[key];
  if (s == null) s = TEXT.en[key];
  if (s == null) s = key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] == null ? m : String(vars[k])));
  return s;
}

// The built-in card's labels, for agents: the scorecards are for
// supervisors only, and an agent still reads the categories of a review.
export const BUILTIN_ID = '7d0c6a3e-5b1f-4c2a-9e8d-1f0000000001';
const BUILTIN_LABELS = {
  en: {
    never_asked_for_secret: 'Never asked for a secret', identity_verified: 'Identity verified before account changes',
    security_escalation: 'Security case escalated correctly', accuracy: 'Correct information',
    resolution: 'Problem solved', knowledge_base: 'Followed the knowledge base', tone: 'Clear and polite',
    timeliness: 'Replied on time',
  },
  zh: {
    never_asked_for_secret: '从未索要密钥', identity_verified: '变更账户前已核实身份',
    security_escalation: '安全事件正确升级', accuracy: '信息正确', resolution: '问题已解决',
    knowledge_base: '遵循知识库', tone: '清晰礼貌', timeliness: '及时回复',
  },
};

/** A percentage with one decimal: 78.5714 → "78.6 %". */
export function percent1(v) {
  return v == null || Number.isNaN(Number(v)) ? '—' : Number(v).toFixed(1) + ' %';
}

function errorText(r) {
  return (r.data && r.data.error && r.data.error.message) || 'HTTP ' + r.status;
}

function isoDate(d) {
  return d.toISOString().slice(0, 10);
}

function input(type, name, value) {
  const i = document.createElement('input');
  i.type = type;
  i.name = name;
  if (value != null) i.value = value;
  return i;
}

function field(label, control) {
  const box = el('label', 'report-field');
  box.appendChild(el('span', null, label));
  box.appendChild(control);
  return box;
}

function option(value, label) {
  const o = el('option', null, label);
  o.value = value;
  return o;
}

function button(cls, text, onClick) {
  const b = el('button', cls, text);
  b.type = 'button';
  if (onClick) b.addEventListener('click', onClick);
  return b;
}

function table(cls, headers) {
  const t = el('table', 'admin-table ' + (cls || ''));
  const thead = document.createElement('thead');
  const tr = document.createElement('tr');
  headers.forEach((h) => tr.appendChild(el('th', null, h)));
  thead.appendChild(tr);
  t.appendChild(thead);
  const tbody = document.createElement('tbody');
  t.appendChild(tbody);
  return { table: t, tbody };
}

function row(cells) {
  const tr = document.createElement('tr');
  cells.forEach((c) => {
    const td = document.createElement('td');
    if (c instanceof Node) td.appendChild(c);
    else td.textContent = c == null ? '' : String(c);
    tr.appendChild(td);
  });
  return tr;
}

function whyChip(why) {
  return el('span', 'chip qa-why why-' + why, w('why.' + why));
}

function shortId(id) {
  return String(id || '').slice(0, 8);
}

// What every view needs: the agents (names, roles) and, for supervisors,
// the scorecards.
async function loadDirectory(ctx) {
  const [agents, cards] = await Promise.all([
    ctx.api('GET', '/v1/agent/agents'),
    ctx.me() && ctx.me().role !== 'agent' ? ctx.api('GET', '/v1/admin/qa/scorecards') : Promise.resolve({ status: 0 }),
  ]);
  const byId = new Map();
  ((agents.data && agents.data.agents) || []).forEach((a) => byId.set(a.id, a));
  if (ctx.me()) byId.set(ctx.me().id, Object.assign({}, byId.get(ctx.me().id), ctx.me()));
  return {
    agents: byId,
    cards: cards.status === 200 && Array.isArray(cards.data) ? cards.data : [],
    name(id) {
      const a = id && byId.get(id);
      return a ? a.display_name : id ? shortId(id) : '';
    },
    label(cardId, key) {
      const card = this.cards.find((c) => c.id === cardId);
      const cat = card && (card.categories || []).find((c) => c.key === key);
      if (cat) return cat.label;
      const builtin = BUILTIN_LABELS[i18n.lang] || BUILTIN_LABELS.en;
      return builtin[key] || BUILTIN_LABELS.en[key] || key;
    },
  };
}

function ratingText(value) {
  if (typeof value === 'number') return value + ' / 5';
  if (value === 'pass') return w('pass');
  if (value === 'fail') return w('fail');
  return w('na');
}

// The score of a review: percent, passed or failed, the critical failures.
function scoreBox(score, labelOf) {
  const box = el('div', 'qa-score ' + (score.passed ? 'passed' : 'failed'));
  box.appendChild(el('span', 'qa-percent', percent1(score.percent)));
  box.appendChild(el('span', 'chip qa-verdict ' + (score.passed ? 'passed' : 'failed'), score.passed ? w('passed') : w('failed')));
  const crit = score.critical_failed || [];
  if (crit.length) box.appendChild(el('p', 'qa-critical', w('critical_failed', { list: crit.map(labelOf).join(', ') })));
  return box;
}

function findingText(f) {
  switch (f.type) {
    case 'guard_override': return w('f.guard_override', { count: f.count });
    case 'sla_breached': return w('f.sla_breached', { metric: w('m.' + f.metric) });
    case 'low_csat': return w('f.low_csat', { score: f.score });
    case 'reopened': return w('f.reopened', { count: f.count });
    default: return TEXT.en['f.' + f.type] ? w('f.' + f.type) : f.type;
  }
}

// ---- the QA page ------------------------------------------------------------------

export const QA_PAGE = {
  id: 'qa',
  role: 'supervisor',
  title: 'a.qa',
  render: async (body, ctx) => {
    body.classList.add('qa');
    const dir = await loadDirectory(ctx);
    const home = el('div', 'qa-home');
    const detail = el('div', 'qa-detail');
    detail.hidden = true;
    body.appendChild(home);
    body.appendChild(detail);
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

    // -- sampling
    const sampleBox = el('section', 'qa-section qa-sampling');
    sampleBox.appendChild(el('h3', null, w('sample')));
    const form = el('form', 'report-filters qa-sample');
    const today = new Date();
    const from = input('date', 'from', isoDate(new Date(today.getTime() - 29 * 86400000)));
    const to = input('date', 'to', isoDate(today));
    const perAgent = input('number', 'per_agent', '3');
    perAgent.min = '1';
    perAgent.max = '50';
    const reviewer = document.createElement('select');
    reviewer.name = 'reviewer_id';
    reviewer.appendChild(option('', w('any_reviewer')));
    Array.from(dir.agents.values())
      .filter((a) => a.role === 'supervisor' || a.role === 'admin')
      .forEach((a) => reviewer.appendChild(option(a.id, a.display_name + ' · ' + i18n.v('role', a.role))));
    [[w('from'), from], [w('to'), to], [w('per_agent'), perAgent], [w('reviewer'), reviewer]]
      .forEach(([l, i]) => form.appendChild(field(l, i)));
    const go = el('button', 'btn primary', w('do_sample'));
    go.type = 'submit';
    form.appendChild(go);
    const sampleErr = el('p', 'error');
    sampleErr.setAttribute('role', 'alert');
    const sampleOut = el('div', 'qa-sample-out');
    sampleOut.setAttribute('aria-live', 'polite');
    sampleBox.appendChild(form);
    sampleBox.appendChild(sampleErr);
    sampleBox.appendChild(sampleOut);
    home.appendChild(sampleBox);

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      sampleErr.textContent = '';
      const req = { from: from.value || undefined, to: to.value || undefined, tz, per_agent: Number(perAgent.value) };
      if (reviewer.value) req.reviewer_id = reviewer.value;
      go.disabled = true;
      const r = await ctx.api('POST', '/v1/admin/qa/assignments', req);
      go.disabled = false;
      sampleOut.textContent = '';
      if (r.status !== 200) {
        sampleErr.textContent = errorText(r);
        return;
      }
      const d = r.data;
      sampleOut.appendChild(el('p', 'qa-sample-summary', d.assigned ? w('sampled', d) : w('sampled_none')));
      const list = el('ul', 'qa-picks');
      (d.samples || []).forEach((s) => {
        const li = el('li', 'qa-pick-agent');
        li.dataset.agent = s.agent;
        li.appendChild(el('span', 'qa-pick-name', dir.name(s.agent)));
        const picks = el('span', 'qa-pick-list');
        if (!s.picks.length) picks.appendChild(el('span', 'muted', w('no_picks')));
        s.picks.forEach((p) => {
          const b = button('btn small qa-pick', '', () => openReview(p.conversation_id, { agent: s.agent, why: p.why }));
          b.dataset.conversation = p.conversation_id;
          b.dataset.why = p.why;
          b.appendChild(el('code', null, shortId(p.conversation_id)));
          b.appendChild(document.createTextNode(' '));
          b.appendChild(whyChip(p.why));
          picks.appendChild(b);
        });
        li.appendChild(picks);
        list.appendChild(li);
      });
      sampleOut.appendChild(list);
      loadQueue();
    });

    // -- the queue
    const queueBox = el('section', 'qa-section qa-queue-box');
    queueBox.appendChild(el('h3', null, w('queue')));
    const qf = el('div', 'report-filters qa-queue-filters');
    const which = document.createElement('select');
    which.name = 'pending';
    which.appendChild(option('true', w('pending')));
    which.appendChild(option('false', w('all')));
    const mine = input('checkbox', 'mine');
    mine.checked = true;
    qf.appendChild(field(w('show'), which));
    const mineLabel = el('label', 'qa-check');
    mineLabel.appendChild(mine);
    mineLabel.appendChild(document.createTextNode(' ' + w('mine')));
    qf.appendChild(mineLabel);
    queueBox.appendChild(qf);
    const queueOut = el('div', 'qa-queue-out');
    queueBox.appendChild(queueOut);
    home.appendChild(queueBox);
    which.addEventListener('change', () => loadQueue());
    mine.addEventListener('change', () => loadQueue());

    async function loadQueue() {
      const q = new URLSearchParams({ mine: String(mine.checked), pending: which.value });
      const r = await ctx.api('GET', '/v1/admin/qa/assignments?' + q);
      queueOut.textContent = '';
      if (r.status !== 200) {
        queueOut.appendChild(el('p', 'error', errorText(r)));
        return;
      }
      const items = r.data || [];
      if (!items.length) {
        queueOut.appendChild(el('p', 'empty', w('queue_empty')));
        return;
      }
      const { table: tbl, tbody } = table('qa-queue', [w('conversation'), w('agent'), w('why'), w('reviewer'), w('assigned'), w('status'), '']);
      items.forEach((a) => {
        const open = button('btn small' + (a.reviewed ? '' : ' primary'), a.reviewed ? w('open_review') : w('review'),
          () => openReview(a.conversation_id, a));
        const tr = row([el('code', null, shortId(a.conversation_id)), dir.name(a.agent), whyChip(a.why),
          a.reviewer ? dir.name(a.reviewer) : w('any_reviewer'), formatTime(a.created_at, i18n.lang),
          el('span', 'chip qa-state ' + (a.reviewed ? 'done' : 'todo'), a.reviewed ? w('reviewed') : w('to_review')), open]);
        tr.dataset.conversation = a.conversation_id;
        tr.dataset.agent = a.agent;
        tr.dataset.why = a.why;
        tbody.appendChild(tr);
      });
      queueOut.appendChild(tbl);
    }

    // -- the scorecards, read-only
    const cardsBox = el('details', 'qa-section qa-cards');
    cardsBox.appendChild(el('summary', null, w('scorecards') + ' (' + dir.cards.length + ')'));
    dir.cards.forEach((c) => {
      const box = el('div', 'qa-card');
      box.appendChild(el('h4', null, c.name + ' · ' + w('threshold', { n: c.pass_threshold_pct })));
      const { table: tbl, tbody } = table('qa-card-table', [w('category'), w('key'), w('scale'), w('weight'), w('critical'), w('description')]);
      (c.categories || []).forEach((cat) => tbody.appendChild(row([cat.label, el('code', null, cat.key), w(cat.scale),
        cat.weight, cat.critical ? w('yes') : '', cat.description || ''])));
      box.appendChild(tbl);
      cardsBox.appendChild(box);
    });
    home.appendChild(cardsBox);

    // -- the review panel
    function back() {
      detail.hidden = true;
      detail.textContent = '';
      home.hidden = false;
      loadQueue();
    }

    async function openReview(id, assignment) {
      home.hidden = true;
      detail.hidden = false;
      detail.textContent = '';
      const [convR, qaR] = await Promise.all([
        ctx.api('GET', '/v1/agent/conversations/' + encodeURIComponent(id)),
        ctx.api('GET', '/v1/agent/qa/conversations/' + encodeURIComponent(id)),
      ]);
      const head = el('div', 'qa-detail-head');
      head.appendChild(button('btn small qa-back', w('back'), back));
      const conv = convR.status === 200 ? convR.data : null;
      const title = el('h3', 'qa-detail-title', conv ? (conv.conversation.subject || w('no_subject')) : shortId(id));
      title.tabIndex = -1;
      head.appendChild(title);
      const agentId = (qaR.data && qaR.data.agent_id) || (assignment && assignment.agent);
      head.appendChild(el('span', 'qa-work', agentId ? w('work_of', { name: dir.name(agentId) }) : w('no_agent')));
      if (assignment && assignment.why) head.appendChild(whyChip(assignment.why));
      if (ctx.open) head.appendChild(button('btn small', w('open_inbox'), () => ctx.open(id)));
      detail.appendChild(head);
      if (qaR.status !== 200) {
        detail.appendChild(el('p', 'error', errorText(qaR)));
        return;
      }
      const grid = el('div', 'qa-review-grid');
      grid.appendChild(transcript(conv, dir));
      const side = el('div', 'qa-side');
      grid.appendChild(side);
      detail.appendChild(grid);
      reviewForm(side, id, qaR.data, agentId);
      title.focus();
    }

    function reviewForm(side, id, qa, agentId) {
      // findings, each pointing at the category it suggests
      const fBox = el('section', 'qa-findings');
      fBox.appendChild(el('h4', null, w('findings')));
      const prior = qa.review || null;
      const cardId = (prior && prior.review.scorecard_id) || (dir.cards[0] && dir.cards[0].id) || BUILTIN_ID;
      const findings = qa.findings || [];
      const suggested = new Set(findings.map((f) => f.suggests).filter(Boolean));
      if (!findings.length) fBox.appendChild(el('p', 'muted', w('findings_none')));
      const fList = el('ul', 'qa-finding-list');
      findings.forEach((f) => {
        const li = el('li', 'qa-finding f-' + f.type);
        li.dataset.type = f.type;
        li.appendChild(el('span', 'qa-finding-text', findingText(f)));
        if (f.at) li.appendChild(el('span', 'qa-finding-at', formatTime(f.at, i18n.lang)));
        if (f.suggests) {
          const go = button('link-btn qa-suggests', w('suggests', { label: dir.label(cardId, f.suggests) }), () => {
            const target = side.querySelector('[data-key="' + CSS.escape(f.suggests) + '"]');
            if (target) {
              target.scrollIntoView({ block: 'center' });
              const c = target.querySelector('select, button');
              if (c) c.focus();
            }
          });
          go.dataset.suggests = f.suggests;
          li.appendChild(go);
        }
        fList.appendChild(li);
      });
      fBox.appendChild(fList);
      side.appendChild(fBox);
      if (agentId && ctx.me() && agentId === ctx.me().id) side.appendChild(el('p', 'qa-own', w('own_work')));

      // the scorecard form
      const form = el('form', 'admin-form qa-form');
      form.noValidate = true;
      const cardSel = document.createElement('select');
      cardSel.name = 'scorecard_id';
      dir.cards.forEach((c) => cardSel.appendChild(option(c.id, c.name)));
      if (prior && dir.cards.some((c) => c.id === prior.review.scorecard_id)) cardSel.value = prior.review.scorecard_id;
      const cardField = el('div', 'field');
      const cardLabel = el('label', null, w('scorecard'));
      cardLabel.htmlFor = cardSel.id = 'qa-scorecard';
      cardField.appendChild(cardLabel);
      cardField.appendChild(cardSel);
      if (dir.cards.length < 2) cardField.hidden = true;
      form.appendChild(cardField);
      const cats = el('div', 'qa-cats');
      form.appendChild(cats);
      const values = new Map(); // key → value
      if (prior) (prior.review.ratings || []).forEach((r) => values.set(r.key, r.value));

      function drawCategories() {
        cats.textContent = '';
        const card = dir.cards.find((c) => c.id === cardSel.value);
        if (!card) return;
        (card.categories || []).forEach((cat) => {
          const box = el('div', 'qa-cat' + (cat.critical ? ' critical' : '') + (suggested.has(cat.key) ? ' flagged' : ''));
          box.dataset.key = cat.key;
          const h = el('div', 'qa-cat-head');
          const name = el('span', 'qa-cat-label', cat.label);
          name.id = 'qa-cat-' + cat.key;
          h.appendChild(name);
          if (cat.critical) h.appendChild(el('span', 'chip qa-critical-chip', w('critical')));
          if (suggested.has(cat.key)) h.appendChild(el('span', 'chip qa-flag', w('flagged')));
          h.appendChild(el('span', 'qa-weight', '×' + cat.weight));
          box.appendChild(h);
          if (cat.description) box.appendChild(el('p', 'hint', cat.description));
          const current = values.get(cat.key);
          if (cat.scale === 'one_to_five') {
            const s = document.createElement('select');
            s.name = cat.key;
            s.setAttribute('aria-labelledby', name.id);
            s.appendChild(option('', w('rate')));
            [5, 4, 3, 2, 1].forEach((n) => s.appendChild(option(String(n), n === 5 ? '5 · ' + w('excellent') : n === 1 ? '1 · ' + w('poor') : String(n))));
            s.appendChild(option('not_applicable', w('na')));
            s.value = current == null ? '' : String(current);
            s.addEventListener('change', () => {
              if (!s.value) values.delete(cat.key);
              else values.set(cat.key, s.value === 'not_applicable' ? s.value : Number(s.value));
            });
            box.appendChild(s);
          } else {
            const group = el('div', 'qa-pf');
            group.setAttribute('role', 'group');
            group.setAttribute('aria-labelledby', name.id);
            const buttons = [['pass', w('pass')], ['fail', w('fail')], ['not_applicable', w('na')]].map(([v, label]) => {
              const b = button('btn small qa-pf-' + v, label, () => {
                values.set(cat.key, v);
                buttons.forEach((x) => x.setAttribute('aria-pressed', String(x.dataset.value === v)));
              });
              b.dataset.value = v;
              b.setAttribute('aria-pressed', String(current === v));
              group.appendChild(b);
              return b;
            });
            box.appendChild(group);
          }
          cats.appendChild(box);
        });
      }
      cardSel.addEventListener('change', () => {
        values.clear();
        drawCategories();
      });
      drawCategories();

      const cField = el('div', 'field');
      const cLabel = el('label', null, w('comment'));
      const comment = document.createElement('textarea');
      comment.rows = 3;
      comment.maxLength = 4000;
      comment.name = 'comment';
      cLabel.htmlFor = comment.id = 'qa-comment';
      if (prior && prior.review.comment) comment.value = prior.review.comment;
      cField.appendChild(cLabel);
      cField.appendChild(comment);
      form.appendChild(cField);
      const err = el('p', 'error qa-error');
      err.setAttribute('role', 'alert');
      form.appendChild(err);
      const actions = el('div', 'form-actions');
      const submit = el('button', 'btn primary', prior ? w('replace') : w('submit'));
      submit.type = 'submit';
      actions.appendChild(submit);
      form.appendChild(actions);
      const result = el('div', 'qa-result');
      result.setAttribute('aria-live', 'polite');
      form.appendChild(result);
      const showResult = (stored) => {
        result.textContent = '';
        result.appendChild(scoreBox(stored.score, (k) => dir.label(stored.review.scorecard_id, k)));
        result.appendChild(el('p', 'muted', w('reviewed_by', { name: dir.name(stored.review.reviewer), at: formatTime(stored.review.at, i18n.lang) })));
      };
      if (prior) showResult(prior);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        err.textContent = '';
        const card = dir.cards.find((c) => c.id === cardSel.value);
        // Rated categories in card order; an unrated one is left out and
        // the server names it.
        const ratings = ((card && card.categories) || [])
          .filter((c) => values.has(c.key))
          .map((c) => ({ key: c.key, value: values.get(c.key) }));
        const req = { conversation_id: id, ratings };
        if (card) req.scorecard_id = card.id;
        if (comment.value.trim()) req.comment = comment.value.trim();
        submit.disabled = true;
        const r = await ctx.api('POST', '/v1/agent/qa/reviews', req);
        submit.disabled = false;
        if (r.status === 201) {
          showResult(r.data);
          result.scrollIntoView({ block: 'nearest' });
          submit.textContent = w('replace');
          ctx.toast(w('saved'), true);
        } else {
          err.textContent = errorText(r);
        }
      });
      side.appendChild(form);
    }

    await loadQueue();
  },
};

// The conversation, read-only: messages, notes and the lines that matter
// to a reviewer.
function transcript(conv, dir) {
  const box = el('section', 'qa-transcript');
  box.appendChild(el('h4', null, w('transcript')));
  const list = el('ol', 'qa-events');
  list.tabIndex = 0;
  list.setAttribute('aria-label', w('transcript'));
  if (!conv) {
    box.appendChild(el('p', 'qa-own qa-no-read', w('no_read')));
    return box;
  }
  const customer = conv.customer || {};
  const who = (a) => {
    if (!a) return w('system');
    if (a.type === 'agent') return a.name || dir.name(a.id);
    if (a.type === 'customer') return customer.name || customer.email || w('customer');
    if (a.type === 'bot') return w('bot');
    return w('system');
  };
  (conv.events || []).slice().sort((a, b) => a.seq - b.seq).forEach((ev) => {
    const k = ev.kind || {};
    let li = null;
    if (k.type === 'message' || k.type === 'note') {
      const side = ev.actor && ev.actor.type === 'customer' ? 'customer' : 'agent';
      li = el('li', 'qa-ev ' + k.type + ' ' + side);
      const h = el('div', 'qa-ev-head');
      h.appendChild(el('span', 'qa-ev-who', (k.type === 'note' ? '🔒 ' : '') + who(ev.actor)));
      h.appendChild(el('span', 'qa-ev-time', formatTime(ev.at, i18n.lang)));
      li.appendChild(h);
      li.appendChild(el('p', 'qa-ev-body', k.body));
    } else if (k.type === 'status_changed') {
      li = el('li', 'qa-ev line', w('status_line', { from: i18n.t('st.' + k.from), to: i18n.t('st.' + k.to) }));
    } else if (k.type === 'rated') {
      li = el('li', 'qa-ev line', w('rated_line', { score: k.score }) + (k.comment ? ': ' + k.comment : ''));
    } else if (k.type === 'sla_breached') {
      li = el('li', 'qa-ev line warn', w('f.sla_breached', { metric: w('m.' + k.metric) }));
    } else if (k.type === 'system_notice') {
      li = el('li', 'qa-ev line' + (/secret/.test(k.code || '') ? ' warn' : ''), k.text || k.code || '');
    } else if (k.type === 'attachment') {
      li = el('li', 'qa-ev line', w('file_line', { name: (k.file && k.file.name) || '' }));
    }
    if (li) list.appendChild(li);
  });
  box.appendChild(list);
  return box;
}

// ---- My QA reviews (every agent) ----------------------------------------------------

export async function renderMyReviews(root, ctx) {
  root.textContent = '';
  const page = el('div', 'admin-body qa qa-mine');
  root.appendChild(page);
  const dir = await loadDirectory(ctx);
  page.appendChild(el('h2', 'qa-mine-title', w('my_title')));
  const form = el('form', 'report-filters');
  const today = new Date();
  const from = input('date', 'from', isoDate(new Date(today.getTime() - 29 * 86400000)));
  const to = input('date', 'to', isoDate(today));
  form.appendChild(field(w('from'), from));
  form.appendChild(field(w('to'), to));
  const show = el('button', 'btn primary', i18n.lang === 'zh' ? '查看' : 'Show');
  show.type = 'submit';
  form.appendChild(show);
  page.appendChild(form);
  const out = el('div', 'qa-mine-out');
  out.setAttribute('aria-live', 'polite');
  page.appendChild(out);

  async function load() {
    const me = ctx.me();
    const q = new URLSearchParams({ from: from.value, to: to.value, tz: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' });
    if (me) q.set('agent', me.id); // a supervisor would otherwise get everyone's
    const r = await ctx.api('GET', '/v1/agent/qa/reviews?' + q);
    out.textContent = '';
    if (r.status !== 200) {
      out.appendChild(el('p', 'error', errorText(r)));
      return;
    }
    const list = (r.data || []).filter((s) => !me || s.review.agent === me.id);
    if (!list.length) {
      out.appendChild(el('p', 'empty', w('my_none')));
      return;
    }
    list.forEach((s) => {
      const rv = s.review;
      const labelOf = (k) => dir.label(rv.scorecard_id, k);
      const art = el('article', 'qa-myreview');
      art.dataset.conversation = rv.conversation_id;
      const head = el('div', 'qa-myreview-head');
      head.appendChild(scoreBox(s.score, labelOf));
      head.appendChild(el('span', 'muted', w('reviewed_by', { name: dir.name(rv.reviewer), at: formatTime(rv.at, i18n.lang) })));
      if (ctx.open) head.appendChild(button('btn small', w('open_conv'), () => ctx.open(rv.conversation_id)));
      art.appendChild(head);
      const { table: tbl, tbody } = table('qa-ratings', [w('category'), w('rating')]);
      const crit = new Set(s.score.critical_failed || []);
      (rv.ratings || []).forEach((x) => {
        const tr = row([labelOf(x.key), ratingText(x.value)]);
        tr.dataset.key = x.key;
        if (crit.has(x.key) || x.value === 'fail') tr.className = 'qa-rating-bad';
        tbody.appendChild(tr);
      });
      art.appendChild(tbl);
      if (rv.comment) art.appendChild(el('blockquote', 'qa-comment', rv.comment));
      out.appendChild(art);
    });
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  await load();
}
