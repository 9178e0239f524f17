// trustdesk console: the automation admin page (admins). The rules in run
// order (enabled switch, edit, delete), a rule editor (trigger, a flat list
// of conditions joined by All/Any, actions), a dry run of the rule being
// edited over recent conversations, the recent firings, and the macros with
// the same action editor (a macro cannot send a webhook). A rule whose
// condition has nested groups is shown read-only as JSON and saved back
// unchanged. The JSON forms are docs/automation.md; every value is inserted
// as text.
import { el } from '../lib/dom.js';
import { i18n } from '../lib/i18n.js';

const TEXT = {
  en: {
    rules: 'Rules', macros: 'Macros', firings: 'Recent firings', name: 'Name', position: 'Position',
    enabled: 'Enabled', trigger: 'When', conditions: 'If', actions: 'Then', new_rule: 'New rule',
    edit_rule: 'Edit rule', new_macro: 'New macro', edit_macro: 'Edit macro', save: 'Save',
    cancel: 'Cancel', edit: 'Edit', delete: 'Delete', dry_run: 'Dry run', dry_last: 'Try on the last',
    dry_last_unit: 'conversations', confirm_delete: 'Delete this rule?', confirm_delete_macro: 'Delete this macro?',
    match: 'Match', all: 'all of these', any: 'any of these', add_condition: 'Add condition',
    add_action: 'Add action', remove: 'Remove', always: 'always', none_rules: 'No rules yet.',
    none_macros: 'No macros yet.', none_firings: 'No rule has fired yet.', at: 'When', conversation: 'Conversation',
    rule: 'Rule', did: 'Actions', saved: 'Saved.', deleted: 'Deleted.', on: 'on', off: 'off',
    dry_result: 'Examined {examined} conversations · trigger matched: {triggered} · would fire: {fire}',
    dry_none: 'It would not have fired on any of them.', dry_hint: 'Judged as if enabled and alone; nothing is written.',
    nested: 'This condition has nested groups, which this form does not edit. It is kept as it is:',
    nested_replace: 'Replace with a simple list', raw_action: 'Kept as is',
    pick: 'choose…', any_value: 'any', yes: 'yes', no: 'no', not_known: 'not known yet',
    need_action: 'Add at least one action.',
    // triggers
    't.conversation_created': 'a conversation is created', 't.message_created': 'a message is written',
    't.status_changed': 'the status changes', 't.sla_warning': 'an SLA target is close',
    't.sla_breached': 'an SLA target is missed', 't.idle': 'the conversation is idle',
    from: 'from', to: 'to', metric: 'target', minutes: 'minutes',
    'from.customer': 'the customer', 'from.agent': 'an agent',
    'metric.first_response': 'first response', 'metric.next_response': 'next response', 'metric.resolution': 'resolution',
    // conditions
    'c.category': 'category is', 'c.language': 'language is', 'c.priority': 'priority is',
    'c.priority_at_least': 'priority at least', 'c.channel': 'channel is', 'c.status': 'status is',
    'c.has_label': 'has label', 'c.customer_verified': 'customer verified', 'c.business_hours': 'within business hours',
    'c.message_contains': 'message contains', 'c.assigned': 'an agent is assigned',
    // actions
    'a.assign_team': 'assign to team', 'a.set_priority': 'set priority', 'a.add_label': 'add label',
    'a.remove_label': 'remove label', 'a.send_canned_reply': 'send canned reply', 'a.add_note': 'add internal note',
    'a.resolve': 'resolve', 'a.snooze': 'snooze', 'a.send_webhook': 'send webhook',
    label: 'label', team: 'team', priority: 'priority', canned: 'canned response', note: 'note', event: 'event name',
  },
  zh: {
    rules: '规则', macros: '宏', firings: '最近触发', name: '名称', position: '顺序',
    enabled: '启用', trigger: '当', conditions: '如果', actions: '则', new_rule: '新建规则',
    edit_rule: '编辑规则', new_macro: '新建宏', edit_macro: '编辑宏', save: '保存',
    cancel: '取消', edit: '编辑', delete: '删除', dry_run: '试运行', dry_last: '试用于最近',
    dry_last_unit: '个会话', confirm_delete: '删除该规则？', confirm_delete_macro: '删除该宏？',
    match: '匹配', all: '全部条件', any: '任一条件', add_condition: '添加条件',
    add_action: '添加动作', remove: '移除', always: '始终', none_rules: '暂无规则。',
    none_macros: '暂无宏。', none_firings: '尚无规则触发。', at: '时间', conversation: '会话',
    rule: '规则', did: '动作', saved: '已保存。', deleted: '已删除。', on: '开', off: '关',
    dry_result: '检查了 {examined} 个会话 · 触发器匹配：{triggered} 次 · 将执行：{fire} 次',
    dry_none: '在这些会话上都不会触发。', dry_hint: '按已启用且单独运行来判断；不会写入任何数据。',
    nested: '该条件含有嵌套分组，本表单无法编辑，将原样保留：',
    nested_replace: '替换为简单列表', raw_action: '原样保留',
    pick: '请选择…', any_value: '任意', yes: '是', no: '否', not_known: '尚未确定',
    need_action: '请至少添加一个动作。',
    't.conversation_created': '新建会话时', 't.message_created': '有新消息时',
    't.status_changed': '状态变化时', 't.sla_warning': 'SLA 即将超时',
    't.sla_breached': 'SLA 已超时', 't.idle': '会话无活动',
    from: '来自', to: '变为', metric: '指标', minutes: '分钟',
    'from.customer': '客户', 'from.agent': '客服',
    'metric.first_response': '首次响应', 'metric.next_response': '后续响应', 'metric.resolution': '解决',
    'c.category': '分类为', 'c.language': '语言为', 'c.priority': '优先级为',
    'c.priority_at_least': '优先级至少为', 'c.channel': '渠道为', 'c.status': '状态为',
    'c.has_label': '带有标签', 'c.customer_verified': '客户已验证', 'c.business_hours': '在工作时间内',
    'c.message_contains': '消息包含', 'c.assigned': '已分配客服',
    'a.assign_team': '分配给团队', 'a.set_priority': '设置优先级', 'a.add_label': '添加标签',
    'a.remove_label': '移除标签', 'a.send_canned_reply': '发送快捷回复', 'a.add_note': '添加内部备注',
    'a.resolve': '标记为已解决', 'a.snooze': '稍后处理', 'a.send_webhook': '发送 Webhook',
    label: '标签', team: '团队', priority: '优先级', canned: '快捷回复', note: '备注', event: '事件名',
  },
};

function w(key, vars) {
  let s = (TEXT[i18n.lang] || TEXT.en)[key] || TEXT.en[key] || key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] == null ? m : String(vars[k])));
  return s;
}

const TRIGGERS = ['conversation_created', 'message_created', 'status_changed', 'sla_warning', 'sla_breached', 'idle'];
const STATUSES = ['open', 'pending', 'snoozed', 'resolved', 'closed'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const CATEGORIES = ['account', 'trading', 'transfer', 'security', 'storage', 'compliance'];
const LANGUAGES = ['en', 'zh'];
const CHANNELS = ['web', 'email', 'telegram', 'api'];
const METRICS = ['first_response', 'next_response', 'resolution'];
// Leaf conditions: which input each takes.
const LEAVES = {
  category: { set: CATEGORIES, nullable: true, label: (v) => i18n.v('cat', v) },
  language: { set: LANGUAGES, nullable: true, label: (v) => i18n.v('lang', v) },
  priority: { set: PRIORITIES, label: (v) => i18n.v('pr', v) },
  priority_at_least: { one: PRIORITIES, key: 'at_least', label: (v) => i18n.v('pr', v) },
  channel: { set: CHANNELS, label: (v) => v },
  status: { set: STATUSES, label: (v) => i18n.t('st.' + v) },
  has_label: { text: 'label', pattern: '[a-z0-9]+(-[a-z0-9]+)*', max: 40 },
  customer_verified: { bool: true },
  business_hours: { bool: true },
  message_contains: { text: 'text', max: 200 },
  assigned: { bool: true },
};
const ACTIONS = ['assign_team', 'set_priority', 'add_label', 'remove_label', 'send_canned_reply', 'add_note', 'resolve', 'snooze', 'send_webhook'];
const LABEL_PATTERN = '[a-z0-9]+(-[a-z0-9]+)*';

// What the page loaded for its selects and summaries.
const ref = { teams: [], canned: [] };
let uid = 0;
const nextId = (p) => 'au-' + p + '-' + ++uid;

function errorOf(r) {
  return (r.data && r.data.error && r.data.error.message) || 'HTTP ' + r.status;
}

function when(at) {
  if (at == null) return '';
  const d = new Date(typeof at === 'number' ? at : String(at));
  return isNaN(d) ? String(at) : d.toLocaleString(i18n.lang === 'zh' ? 'zh-CN' : 'en-GB');
}

function button(label, cls, onClick) {
  const b = el('button', 'btn small' + (cls ? ' ' + cls : ''), label);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

function select(pairs, value, aria) {
  const s = el('select');
  pairs.forEach(([v, label]) => {
    const o = el('option', null, label);
    o.value = v;
    s.appendChild(o);
  });
  if (value != null) s.value = String(value);
  if (aria) s.setAttribute('aria-label', aria);
  return s;
}

function input(type, value, aria) {
  const i = el('input');
  i.type = type;
  if (value != null) i.value = String(value);
  if (aria) i.setAttribute('aria-label', aria);
  return i;
}

// A labelled field (label above the control).
function field(labelText, control) {
  const wrap = el('div', 'field');
  const id = control.id || nextId('f');
  control.id = id;
  const label = el('label', null, labelText);
  label.htmlFor = id;
  wrap.appendChild(label);
  wrap.appendChild(control);
  return wrap;
}

// ---- summaries (the lists) ------------------------------------------------------

function triggerText(tr) {
  if (!tr) return '';
  let s = w('t.' + tr.type);
  if (tr.type === 'message_created' && tr.from) s += ' (' + w('from') + ' ' + w('from.' + tr.from) + ')';
  if (tr.type === 'status_changed' && tr.to) s += ' (' + w('to') + ' ' + i18n.t('st.' + tr.to) + ')';
  if ((tr.type === 'sla_warning' || tr.type === 'sla_breached') && tr.metric) s += ' (' + w('metric.' + tr.metric) + ')';
  if (tr.type === 'idle') s += ' ' + tr.minutes + ' ' + w('minutes');
  return s;
}

function leafText(c) {
  const spec = LEAVES[c.type];
  if (!spec) return JSON.stringify(c);
  let v;
  if (spec.set) v = (c.in || []).map((x) => (x === null ? w('not_known') : spec.label(x))).join(', ');
  else if (spec.one) v = spec.label(c[spec.key]);
  else if (spec.bool) v = c.is ? w('yes') : w('no');
  else v = '“' + c[spec.text] + '”';
  return w('c.' + c.type) + ' ' + v;
}

function conditionText(c) {
  if (!c) return w('always');
  if (c.type === 'all' || c.type === 'any') {
    if (!c.of.length) return w('always');
    return c.of.map((x) => (x.type === 'all' || x.type === 'any' || x.type === 'not' ? '(' + conditionText(x) + ')' : leafText(x)))
      .join(c.type === 'all' ? ' · ' : ' | ');
  }
  if (c.type === 'not') return '¬ (' + conditionText(c.condition) + ')';
  return leafText(c);
}

function actionText(a) {
  const name = w('a.' + a.type);
  switch (a.type) {
    case 'assign_team': {
      const team = ref.teams.find((x) => x.id === a.team_id);
      return name + ' ' + (team ? team.name : a.team_id);
    }
    case 'set_priority': return name + ' ' + i18n.v('pr', a.priority);
    case 'add_label': return '+' + a.label;
    case 'remove_label': return '−' + a.label;
    case 'send_canned_reply': {
      const c = ref.canned.find((x) => x.id === a.canned_id);
      return name + ' ' + (c ? '/' + c.shortcut : a.canned_id);
    }
    case 'add_note': return name;
    case 'snooze': return name + ' ' + a.minutes + ' ' + w('minutes');
    case 'send_webhook': return name + ' ' + a.event;
    default: return name;
  }
}

// ---- editors ------------------------------------------------------------

// Whether the form can edit this condition: one leaf, or all/any of leaves.
function flatCondition(c) {
  if (!c) return { mode: 'all', leaves: [] };
  if (LEAVES[c.type]) return { mode: 'all', leaves: [c] };
  if ((c.type === 'all' || c.type === 'any') && c.of.every((x) => LEAVES[x.type])) return { mode: c.type, leaves: c.of };
  return null;
}

// One condition row: its type and the input that type takes.
function conditionRow(leaf, onRemove) {
  const row = el('li', 'au-row cond-row');
  const type = select([['', w('pick')]].concat(Object.keys(LEAVES).map((k) => [k, w('c.' + k)])), leaf ? leaf.type : '', w('conditions'));
  type.className = 'cond-type';
  const params = el('span', 'au-params');
  row.appendChild(type);
  row.appendChild(params);
  row.appendChild(button('×', 'au-remove', onRemove)).setAttribute('aria-label', w('remove'));
  let read = () => null;
  function draw(value) {
    params.textContent = '';
    const spec = LEAVES[type.value];
    if (!spec) {
      read = () => null;
      return;
    }
    if (spec.set) {
      const opts = spec.set.map((v) => [v, spec.label(v)]);
      if (spec.nullable) opts.push([null, w('not_known')]);
      const boxes = opts.map(([v, label]) => {
        const l = el('label', 'au-check');
        const b = input('checkbox');
        b.dataset.value = v === null ? '' : v;
        b.checked = !!(value && (value.in || []).includes(v));
        l.appendChild(b);
        l.appendChild(document.createTextNode(' ' + label));
        params.appendChild(l);
        return [v, b];
      });
      read = () => ({ type: type.value, in: boxes.filter(([, b]) => b.checked).map(([v]) => v) });
    } else if (spec.one) {
      const s = select([['', w('pick')]].concat(spec.one.map((v) => [v, spec.label(v)])), value ? value[spec.key] : '', w('c.' + type.value));
      params.appendChild(s);
      read = () => ({ type: type.value, [spec.key]: s.value });
    } else if (spec.bool) {
      const s = select([['true', w('yes')], ['false', w('no')]], value ? String(!!value.is) : 'true', w('c.' + type.value));
      params.appendChild(s);
      read = () => ({ type: type.value, is: s.value === 'true' });
    } else {
      const i = input('text', value ? value[spec.text] : '', w('c.' + type.value));
      i.maxLength = spec.max;
      if (spec.pattern) i.pattern = spec.pattern;
      i.required = true;
      params.appendChild(i);
      read = () => ({ type: type.value, [spec.text]: i.value.trim() });
    }
  }
  type.addEventListener('change', () => draw(null));
  draw(leaf);
  return { row, value: () => read() };
}

function actionRow(action, withWebhook, onRemove) {
  const row = el('li', 'au-row action-row');
  const known = !action || ACTIONS.includes(action.type);
  const kinds = ACTIONS.filter((k) => withWebhook || k !== 'send_webhook');
  const type = select([['', w('pick')]].concat(kinds.map((k) => [k, w('a.' + k)])), action && known ? action.type : '', w('actions'));
  type.className = 'action-type';
  const params = el('span', 'au-params');
  if (known) row.appendChild(type);
  row.appendChild(params);
  row.appendChild(button('×', 'au-remove', onRemove)).setAttribute('aria-label', w('remove'));
  let read = () => null;
  function draw(value) {
    params.textContent = '';
    const v = value || {};
    const t = type.value;
    if (!known) {
      params.appendChild(el('code', null, JSON.stringify(action)));
      params.appendChild(el('span', 'muted', ' ' + w('raw_action')));
      read = () => action;
      return;
    }
    let control = null;
    if (t === 'assign_team') {
      control = select([['', w('pick')]].concat(ref.teams.map((x) => [x.id, x.name])), v.team_id || '', w('team'));
      read = () => ({ type: t, team_id: control.value });
    } else if (t === 'set_priority') {
      control = select([['', w('pick')]].concat(PRIORITIES.map((p) => [p, i18n.v('pr', p)])), v.priority || '', w('priority'));
      read = () => ({ type: t, priority: control.value });
    } else if (t === 'add_label' || t === 'remove_label') {
      control = input('text', v.label || '', w('label'));
      control.pattern = LABEL_PATTERN;
      control.maxLength = 40;
      control.placeholder = 'vip';
      read = () => ({ type: t, label: control.value.trim() });
    } else if (t === 'send_canned_reply') {
      control = select([['', w('pick')]].concat(ref.canned.map((c) => [c.id, '/' + c.shortcut + ' · ' + c.title])), v.canned_id || '', w('canned'));
      read = () => ({ type: t, canned_id: control.value });
    } else if (t === 'add_note') {
      control = el('textarea');
      control.rows = 2;
      control.maxLength = 2000;
      control.value = v.body || '';
      control.setAttribute('aria-label', w('note'));
      read = () => ({ type: t, body: control.value });
    } else if (t === 'snooze') {
      control = input('number', v.minutes || 60, w('minutes'));
      control.min = '1';
      read = () => ({ type: t, minutes: Number(control.value) });
    } else if (t === 'send_webhook') {
      control = input('text', v.event || '', w('event'));
      control.placeholder = 'vip.escalated';
      control.maxLength = 64;
      read = () => ({ type: t, event: control.value.trim() });
    } else if (t === 'resolve') {
      read = () => ({ type: t });
    } else {
      read = () => null;
    }
    if (control) {
      control.required = true;
      params.appendChild(control);
    }
  }
  type.addEventListener('change', () => draw(null));
  draw(action);
  return { row, value: () => read() };
}

// A list of rows with an "add" button; `make(item, remove)` draws one row.
function rowList(cls, addLabel, items, make) {
  const box = el('div', 'au-rows ' + cls);
  const list = el('ol', 'au-list');
  const rows = [];
  function add(item) {
    const r = make(item, () => {
      rows.splice(rows.indexOf(r), 1);
      r.row.remove();
    });
    rows.push(r);
    list.appendChild(r.row);
    return r;
  }
  items.forEach(add);
  box.appendChild(list);
  box.appendChild(button(addLabel, 'au-add', () => {
    const r = add(null);
    r.row.querySelector('select, input').focus();
  }));
  return { box, values: () => rows.map((r) => r.value()).filter(Boolean) };
}

function actionsEditor(actions, withWebhook) {
  return rowList('actions', w('add_action'), actions || [], (a, remove) => actionRow(a, withWebhook, remove));
}

// ---- the page --------------------------------------------------------------

export const AUTOMATION_PAGE = {
  id: 'automation',
  role: 'admin',
  title: 'a.automation',
  render: async (body, ctx) => {
    body.classList.add('automation');
    const rulesBox = el('div', 'admin-list au-rules');
    const ruleSide = el('div', 'admin-edit au-rule-edit');
    const firingsBox = el('div', 'admin-list au-firings');
    const dryBox = el('div', 'au-dry');
    dryBox.setAttribute('aria-live', 'polite');
    const macrosBox = el('div', 'admin-list au-macros');
    const macroSide = el('div', 'admin-edit au-macro-edit');
    // Left: the rules and their firings; right: the editor and its dry run.
    const left = el('div', 'au-left');
    left.appendChild(rulesBox);
    left.appendChild(firingsBox);
    const right = el('div', 'au-right');
    right.appendChild(ruleSide);
    right.appendChild(dryBox);
    body.appendChild(left);
    body.appendChild(right);
    body.appendChild(macrosBox);
    body.appendChild(macroSide);

    const [teams, canned] = await Promise.all([ctx.api('GET', '/v1/agent/teams'), ctx.api('GET', '/v1/agent/canned')]);
    ref.teams = (teams.data && teams.data.teams) || [];
    ref.canned = Array.isArray(canned.data) ? canned.data : [];
    let rules = [];

    const openLink = (id, text) => {
      const a = el('a', 'au-conv', text);
      a.href = '#c=' + id;
      a.addEventListener('click', (e) => {
        e.preventDefault();
        if (ctx.open) ctx.open(id);
      });
      return a;
    };

    function draftOf(rule, enabled) {
      return {
        name: rule.name,
        enabled: enabled === undefined ? rule.enabled : enabled,
        position: rule.position,
        trigger: rule.trigger,
        condition: rule.condition,
        actions: rule.actions,
      };
    }

    async function reloadRules() {
      const r = await ctx.api('GET', '/v1/admin/automation/rules');
      if (r.status !== 200) return ctx.toast(errorOf(r));
      rules = Array.isArray(r.data) ? r.data : [];
      rulesBox.textContent = '';
      const table = el('table', 'admin-table au-rule-table');
      table.appendChild(el('caption', null, w('rules') + ' (' + rules.length + ')'));
      const head = document.createElement('tr');
      ['position', 'name', 'trigger', 'conditions', 'actions', 'enabled'].forEach((k) => head.appendChild(el('th', null, w(k))));
      head.appendChild(el('th', 'sr-only', i18n.t('a.actions')));
      const thead = document.createElement('thead');
      thead.appendChild(head);
      table.appendChild(thead);
      const tbody = document.createElement('tbody');
      if (!rules.length) {
        const tr = document.createElement('tr');
        const td = el('td', 'muted', w('none_rules'));
        td.colSpan = 7;
        tr.appendChild(td);
        tbody.appendChild(tr);
      }
      rules.forEach((rule) => {
        const tr = el('tr', rule.enabled ? '' : 'au-disabled');
        tr.dataset.id = rule.id;
        tr.appendChild(el('td', null, String(rule.position)));
        tr.appendChild(el('td', 'au-name', rule.name));
        tr.appendChild(el('td', null, triggerText(rule.trigger)));
        tr.appendChild(el('td', null, conditionText(rule.condition)));
        tr.appendChild(el('td', null, rule.actions.map(actionText).join(', ')));
        const toggleCell = el('td');
        const toggle = input('checkbox', null, w('enabled') + ': ' + rule.name);
        toggle.className = 'au-toggle';
        toggle.checked = rule.enabled;
        toggle.addEventListener('change', async () => {
          toggle.disabled = true;
          const rr = await ctx.api('PUT', '/v1/admin/automation/rules/' + encodeURIComponent(rule.id), draftOf(rule, toggle.checked));
          if (rr.status !== 200) ctx.toast(errorOf(rr));
          reloadRules();
        });
        toggleCell.appendChild(toggle);
        tr.appendChild(toggleCell);
        const act = el('td', 'row-actions');
        act.appendChild(button(w('edit'), null, () => {
          ruleForm(rule);
          ruleSide.querySelector('input').focus();
        }));
        act.appendChild(button(w('delete'), 'danger', async () => {
          if (!window.confirm(w('confirm_delete'))) return;
          const rr = await ctx.api('DELETE', '/v1/admin/automation/rules/' + encodeURIComponent(rule.id));
          if (rr.status >= 300) ctx.toast(errorOf(rr));
          else ctx.toast(w('deleted'), true);
          reloadRules();
        }));
        tr.appendChild(act);
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      rulesBox.appendChild(table);
    }

    async function reloadFirings() {
      const r = await ctx.api('GET', '/v1/admin/automation/firings?limit=50');
      firingsBox.textContent = '';
      const table = el('table', 'admin-table au-firing-table');
      table.appendChild(el('caption', null, w('firings')));
      const head = document.createElement('tr');
      ['at', 'rule', 'did', 'conversation'].forEach((k) => head.appendChild(el('th', null, w(k))));
      const thead = document.createElement('thead');
      thead.appendChild(head);
      table.appendChild(thead);
      const tbody = document.createElement('tbody');
      const list = r.status === 200 && Array.isArray(r.data) ? r.data : [];
      if (!list.length) {
        const tr = document.createElement('tr');
        const td = el('td', 'muted', r.status === 200 ? w('none_firings') : errorOf(r));
        td.colSpan = 4;
        tr.appendChild(td);
        tbody.appendChild(tr);
      }
      list.forEach((entry) => {
        let d = entry.detail;
        if (typeof d === 'string') {
          try { d = JSON.parse(d); } catch (_) { d = {}; }
        }
        d = d || {};
        const tr = document.createElement('tr');
        tr.appendChild(el('td', null, when(entry.at)));
        tr.appendChild(el('td', null, d.rule || d.name || d.rule_id || ''));
        tr.appendChild(el('td', null, (d.actions || []).join(', ')));
        const conv = el('td');
        if (entry.subject) conv.appendChild(openLink(entry.subject, entry.subject.slice(0, 8)));
        tr.appendChild(conv);
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      firingsBox.appendChild(table);
    }

    function showDryRun(r) {
      dryBox.textContent = '';
      const card = el('div', 'au-dry-card');
      card.appendChild(el('h3', null, w('dry_run')));
      if (r.status !== 200) {
        const p = el('p', 'error', errorOf(r));
        p.setAttribute('role', 'alert');
        card.appendChild(p);
        dryBox.appendChild(card);
        return;
      }
      const d = r.data;
      const summary = el('p', 'au-dry-summary', w('dry_result', { examined: d.examined_conversations, triggered: d.triggered, fire: d.would_fire }));
      summary.dataset.wouldFire = String(d.would_fire);
      card.appendChild(summary);
      card.appendChild(el('p', 'hint', w('dry_hint')));
      const convs = d.conversations || [];
      if (!convs.length) card.appendChild(el('p', 'muted', w('dry_none')));
      const ul = el('ul', 'au-dry-list');
      convs.forEach((c) => {
        const li = el('li');
        li.appendChild(openLink(c.id, c.subject || i18n.t('c.no_subject')));
        li.appendChild(el('span', 'chip st-' + c.status, i18n.t('st.' + c.status)));
        (c.labels || []).forEach((l) => li.appendChild(el('span', 'chip label', l)));
        ul.appendChild(li);
      });
      card.appendChild(ul);
      dryBox.appendChild(card);
    }

    // The rule form: `rule` null for a new one.
    function ruleForm(rule) {
      ruleSide.textContent = '';
      const form = el('form', 'admin-form au-form rule-form');
      form.noValidate = false;
      form.appendChild(el('h3', null, rule ? w('edit_rule') : w('new_rule')));
      const name = input('text', rule ? rule.name : '');
      name.required = true;
      name.maxLength = 100;
      name.name = 'name';
      form.appendChild(field(w('name'), name));
      const line = el('div', 'au-inline');
      const position = input('number', rule ? rule.position : (rules.length ? Math.max(...rules.map((x) => x.position)) + 10 : 10));
      position.min = '0';
      position.name = 'position';
      line.appendChild(field(w('position'), position));
      const enabledWrap = el('div', 'field check');
      const enabled = input('checkbox');
      enabled.id = nextId('en');
      enabled.name = 'enabled';
      enabled.checked = rule ? rule.enabled : true;
      const enabledLabel = el('label', null, w('enabled'));
      enabledLabel.htmlFor = enabled.id;
      enabledWrap.appendChild(enabled);
      enabledWrap.appendChild(enabledLabel);
      line.appendChild(enabledWrap);
      form.appendChild(line);

      // When
      const trig = rule ? rule.trigger : { type: 'conversation_created' };
      const fsT = el('fieldset', 'au-trigger');
      fsT.appendChild(el('legend', null, w('trigger')));
      const tType = select(TRIGGERS.map((x) => [x, w('t.' + x)]), trig.type, w('trigger'));
      tType.name = 'trigger';
      tType.className = 'trigger-type';
      const tParams = el('span', 'au-params');
      fsT.appendChild(tType);
      fsT.appendChild(tParams);
      let readTrigger = () => ({ type: tType.value });
      function drawTrigger(v) {
        tParams.textContent = '';
        const t = tType.value;
        if (t === 'message_created') {
          const s = select([['', w('any_value')], ['customer', w('from.customer')], ['agent', w('from.agent')]], v.from || '', w('from'));
          s.name = 'trigger_from';
          tParams.appendChild(document.createTextNode(w('from') + ' '));
          tParams.appendChild(s);
          readTrigger = () => (s.value ? { type: t, from: s.value } : { type: t });
        } else if (t === 'status_changed') {
          const s = select([['', w('any_value')]].concat(STATUSES.map((x) => [x, i18n.t('st.' + x)])), v.to || '', w('to'));
          s.name = 'trigger_to';
          tParams.appendChild(document.createTextNode(w('to') + ' '));
          tParams.appendChild(s);
          readTrigger = () => (s.value ? { type: t, to: s.value } : { type: t });
        } else if (t === 'sla_warning' || t === 'sla_breached') {
          const s = select([['', w('any_value')]].concat(METRICS.map((x) => [x, w('metric.' + x)])), v.metric || '', w('metric'));
          s.name = 'trigger_metric';
          tParams.appendChild(s);
          readTrigger = () => (s.value ? { type: t, metric: s.value } : { type: t });
        } else if (t === 'idle') {
          const m = input('number', v.minutes || 30, w('minutes'));
          m.name = 'trigger_minutes';
          m.min = '1';
          m.required = true;
          tParams.appendChild(m);
          tParams.appendChild(document.createTextNode(' ' + w('minutes')));
          readTrigger = () => ({ type: t, minutes: Number(m.value) });
        } else {
          readTrigger = () => ({ type: t });
        }
      }
      tType.addEventListener('change', () => drawTrigger({}));
      drawTrigger(trig);
      form.appendChild(fsT);

      // If
      const fsC = el('fieldset', 'au-conditions');
      fsC.appendChild(el('legend', null, w('conditions')));
      let readCondition;
      function drawConditions(cond) {
        Array.from(fsC.children).forEach((c) => { if (c.tagName !== 'LEGEND') c.remove(); });
        const flat = flatCondition(cond);
        if (!flat) {
          fsC.appendChild(el('p', 'hint', w('nested')));
          fsC.appendChild(el('pre', 'au-json', JSON.stringify(cond, null, 2)));
          fsC.appendChild(button(w('nested_replace'), null, () => drawConditions(null)));
          readCondition = () => cond;
          return;
        }
        const modeWrap = el('div', 'au-inline');
        const mode = select([['all', w('all')], ['any', w('any')]], flat.mode, w('match'));
        mode.name = 'match';
        modeWrap.appendChild(field(w('match'), mode));
        fsC.appendChild(modeWrap);
        const rows = rowList('conditions', w('add_condition'), flat.leaves, (leaf, remove) => conditionRow(leaf, remove));
        fsC.appendChild(rows.box);
        readCondition = () => {
          const leaves = rows.values();
          return { type: leaves.length ? mode.value : 'all', of: leaves };
        };
      }
      drawConditions(rule ? rule.condition : null);
      form.appendChild(fsC);

      // Then
      const fsA = el('fieldset', 'au-actions');
      fsA.appendChild(el('legend', null, w('actions')));
      const actions = actionsEditor(rule ? rule.actions : [], true);
      fsA.appendChild(actions.box);
      form.appendChild(fsA);

      const err = el('p', 'error');
      err.setAttribute('role', 'alert');
      form.appendChild(err);
      const bar = el('div', 'form-actions');
      const save = el('button', 'btn primary au-save', w('save'));
      save.type = 'submit';
      bar.appendChild(save);
      const last = input('number', 100, w('dry_last'));
      last.min = '1';
      last.max = '500';
      last.className = 'au-last';
      const dry = button(w('dry_run'), 'au-dry-btn', async () => {
        err.textContent = '';
        dry.disabled = true;
        const r = await ctx.api('POST', '/v1/admin/automation/dry-run', { rule: draft(), last: Number(last.value) || 100 });
        dry.disabled = false;
        showDryRun(r);
      });
      dry.classList.remove('small');
      bar.appendChild(dry);
      const lastLabel = el('label', 'au-last-label', w('dry_last') + ' ');
      lastLabel.appendChild(last);
      lastLabel.appendChild(document.createTextNode(' ' + w('dry_last_unit')));
      bar.appendChild(lastLabel);
      if (rule) {
        const cancel = button(w('cancel'), null, () => ruleForm(null));
        cancel.classList.remove('small');
        bar.appendChild(cancel);
      }
      form.appendChild(bar);

      function draft() {
        return {
          name: name.value.trim(),
          enabled: enabled.checked,
          position: Number(position.value) || 0,
          trigger: readTrigger(),
          condition: readCondition(),
          actions: actions.values(),
        };
      }

      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        err.textContent = '';
        if (!form.reportValidity()) return;
        save.disabled = true;
        const r = rule
          ? await ctx.api('PUT', '/v1/admin/automation/rules/' + encodeURIComponent(rule.id), draft())
          : await ctx.api('POST', '/v1/admin/automation/rules', draft());
        save.disabled = false;
        if (r.status === 200 || r.status === 201) {
          ctx.toast(w('saved'), true);
          await reloadRules();
          ruleForm(null);
        } else {
          err.textContent = errorOf(r);
        }
      });
      ruleSide.appendChild(form);
    }

    // ---- macros
    async function reloadMacros() {
      const r = await ctx.api('GET', '/v1/agent/macros');
      const macros = r.status === 200 && Array.isArray(r.data) ? r.data : [];
      macrosBox.textContent = '';
      const table = el('table', 'admin-table au-macro-table');
      table.appendChild(el('caption', null, w('macros') + ' (' + macros.length + ')'));
      const head = document.createElement('tr');
      ['name', 'actions'].forEach((k) => head.appendChild(el('th', null, w(k))));
      head.appendChild(el('th', 'sr-only', i18n.t('a.actions')));
      const thead = document.createElement('thead');
      thead.appendChild(head);
      table.appendChild(thead);
      const tbody = document.createElement('tbody');
      if (!macros.length) {
        const tr = document.createElement('tr');
        const td = el('td', 'muted', w('none_macros'));
        td.colSpan = 3;
        tr.appendChild(td);
        tbody.appendChild(tr);
      }
      macros.forEach((m) => {
        const tr = document.createElement('tr');
        tr.appendChild(el('td', 'au-name', m.name));
        tr.appendChild(el('td', null, m.actions.map(actionText).join(', ')));
        const act = el('td', 'row-actions');
        act.appendChild(button(w('edit'), null, () => {
          macroForm(m);
          macroSide.querySelector('input').focus();
        }));
        act.appendChild(button(w('delete'), 'danger', async () => {
          if (!window.confirm(w('confirm_delete_macro'))) return;
          const rr = await ctx.api('DELETE', '/v1/admin/macros/' + encodeURIComponent(m.id));
          if (rr.status >= 300) ctx.toast(errorOf(rr));
          else ctx.toast(w('deleted'), true);
          reloadMacros();
        }));
        tr.appendChild(act);
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      macrosBox.appendChild(table);
    }

    function macroForm(m) {
      macroSide.textContent = '';
      const form = el('form', 'admin-form au-form macro-form');
      form.appendChild(el('h3', null, m ? w('edit_macro') : w('new_macro')));
      const name = input('text', m ? m.name : '');
      name.required = true;
      name.maxLength = 100;
      name.name = 'name';
      form.appendChild(field(w('name'), name));
      const fsA = el('fieldset', 'au-actions');
      fsA.appendChild(el('legend', null, w('actions')));
      const actions = actionsEditor(m ? m.actions : [], false);
      fsA.appendChild(actions.box);
      form.appendChild(fsA);
      const err = el('p', 'error');
      err.setAttribute('role', 'alert');
      form.appendChild(err);
      const bar = el('div', 'form-actions');
      const save = el('button', 'btn primary au-save', w('save'));
      save.type = 'submit';
      bar.appendChild(save);
      if (m) {
        const cancel = button(w('cancel'), null, () => macroForm(null));
        cancel.classList.remove('small');
        bar.appendChild(cancel);
      }
      form.appendChild(bar);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        err.textContent = '';
        if (!form.reportValidity()) return;
        const value = { name: name.value.trim(), actions: actions.values() };
        save.disabled = true;
        const r = m
          ? await ctx.api('PUT', '/v1/admin/macros/' + encodeURIComponent(m.id), value)
          : await ctx.api('POST', '/v1/admin/macros', value);
        save.disabled = false;
        if (r.status === 200 || r.status === 201) {
          ctx.toast(w('saved'), true);
          macroForm(null);
          reloadMacros();
        } else {
          err.textContent = errorOf(r);
        }
      });
      macroSide.appendChild(form);
    }

    await Promise.all([reloadRules(), reloadFirings(), reloadMacros()]);
    ruleForm(null); // after the rules: a new rule goes last
    macroForm(null);
  },
};
