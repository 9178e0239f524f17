// trustdesk console: the webhooks admin page (admins). Endpoints with
// their subscriptions and state, a form to register one (its secret is
// shown once), and an endpoint's delivery log: each delivery's status and
// attempts, with a replay button. Everything is inserted as text.
import { el } from '../lib/dom.js';
import { i18n } from '../lib/i18n.js';

const TEXT = {
  en: {
    url: 'URL', description: 'Description', events: 'Event types', state: 'State',
    enabled: 'enabled', disabled: 'disabled', register: 'Register endpoint',
    secret_once: 'Signing secret — copy it now, it is not shown again:',
    deliveries: 'Deliveries', rotate: 'Rotate secret', enable: 'Enable', delete: 'Delete',
    confirm_delete: 'Delete this endpoint and its delivery log?',
    confirm_rotate: 'Make a new secret? The old one keeps signing for 24 hours.',
    log_of: 'Delivery log: {url}', none: 'No deliveries yet.', replay: 'Replay',
    created: 'Created', type: 'Event', status: 'Status', attempts: 'Attempts', last: 'Last answer',
    attempt: 'attempt {n}', pick_events: 'Choose at least one event type.',
    'st.pending': 'pending', 'st.delivered': 'delivered', 'st.failed': 'failed',
  },
  zh: {
    url: '地址', description: '说明', events: '事件类型', state: '状态',
    enabled: '已启用', disabled: '已停用', register: '登记端点',
    secret_once: '签名密钥——请立即复制，之后不再显示：',
    deliveries: '投递记录', rotate: '轮换密钥', enable: '启用', delete: '删除',
    confirm_delete: '删除该端点及其投递记录？',
    confirm_rotate: '生成新密钥？旧密钥在 24 小时内仍会签名。',
    log_of: '投递记录：{url}', none: '暂无投递。', replay: '重新投递',
    created: '创建时间', type: '事件', status: '状态', attempts: '尝试次数', last: '最近应答',
    attempt: '第 {n} 次', pick_events: '请至少选择一种事件类型。',
    'st.pending': '待投递', 'st.delivered': '已送达', 'st.failed': '失败',
  },
};

function w(key, vars) {
  let s = (TEXT[i18n.lang] || TEXT.en)[key] || TEXT.en[key] || key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] == null ? m : String(vars[k])));
  return s;
}

function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

function errorOf(r) {
  return (r.data && r.data.error && r.data.error.message) || 'HTTP ' + r.status;
}

function button(label, cls, onClick) {
  const b = el('button', 'btn small' + (cls ? ' ' + cls : ''), label);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

export const WEBHOOKS_PAGE = {
  id: 'webhooks',
  role: 'admin',
  title: 'a.webhooks',
  // Draws the whole page into `body` (the generic list/form does not fit:
  // the secret is shown once, and each endpoint has a delivery log).
  render: async (body, ctx) => {
    const listBox = el('div', 'admin-list');
    const side = el('div', 'admin-edit');
    const logBox = el('div', 'webhook-log');
    body.appendChild(listBox);
    body.appendChild(side);
    body.appendChild(logBox);
    const types = ((await ctx.api('GET', '/v1/admin/webhooks/event-types')).data) || [];

    async function showLog(endpoint) {
      logBox.textContent = '';
      const r = await ctx.api('GET', '/v1/admin/webhooks/' + encodeURIComponent(endpoint.id) + '/deliveries');
      if (r.status !== 200) return ctx.toast(errorOf(r));
      const list = r.data.deliveries || [];
      const table = el('table', 'admin-table');
      table.appendChild(el('caption', null, w('log_of', { url: endpoint.url })));
      const head = document.createElement('tr');
      ['created', 'type', 'status', 'attempts', 'last'].forEach((k) => head.appendChild(el('th', null, w(k))));
      head.appendChild(el('th', 'sr-only', w('replay')));
      const thead = document.createElement('thead');
      thead.appendChild(head);
      table.appendChild(thead);
      const tbody = document.createElement('tbody');
      if (!list.length) {
        const tr = document.createElement('tr');
        const td = el('td', null, w('none'));
        td.colSpan = 6;
        tr.appendChild(td);
        tbody.appendChild(tr);
      }
      list.forEach((d) => {
        const tr = document.createElement('tr');
        tr.appendChild(el('td', null, when(d.created_at)));
        tr.appendChild(el('td', null, d.event_type));
        tr.appendChild(el('td', 'webhook-status ' + d.status, w('st.' + d.status)));
        // The attempts, one line each, under a disclosure.
        const attempts = el('td');
        const details = el('details');
        details.appendChild(el('summary', null, String(d.attempts)));
        const ol = el('ol', 'webhook-attempts');
        (d.attempt_log || []).forEach((a) => {
          const answer = a.status_code != null ? 'HTTP ' + a.status_code : a.error || '';
          ol.appendChild(el('li', null, when(a.at) + ' · ' + answer + ' · ' + a.duration_ms + ' ms'));
        });
        details.appendChild(ol);
        attempts.appendChild(details);
        tr.appendChild(attempts);
        tr.appendChild(el('td', null, d.last_status_code != null ? 'HTTP ' + d.last_status_code : d.last_error || ''));
        const act = el('td', 'row-actions');
        act.appendChild(button(w('replay'), null, async () => {
          const rr = await ctx.api('POST', '/v1/admin/webhooks/deliveries/' + encodeURIComponent(d.id) + '/replay', {});
          if (rr.status >= 300) ctx.toast(errorOf(rr));
          setTimeout(() => showLog(endpoint), 600);
        }));
        tr.appendChild(act);
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      logBox.appendChild(table);
    }

    async function reload() {
      const r = await ctx.api('GET', '/v1/admin/webhooks');
      const endpoints = (r.data && r.data.endpoints) || [];
      listBox.textContent = '';
      const table = el('table', 'admin-table');
      table.appendChild(el('caption', null, i18n.t('a.webhooks') + ' (' + endpoints.length + ')'));
      const head = document.createElement('tr');
      ['url', 'events', 'state'].forEach((k) => head.appendChild(el('th', null, w(k))));
      head.appendChild(el('th', 'sr-only', i18n.t('a.actions')));
      const thead = document.createElement('thead');
      thead.appendChild(head);
      table.appendChild(thead);
      const tbody = document.createElement('tbody');
      endpoints.forEach((e) => {
        const tr = document.createElement('tr');
        const url = el('td');
        url.appendChild(el('div', null, e.url));
        if (e.description) url.appendChild(el('div', 'muted', e.description));
        tr.appendChild(url);
        tr.appendChild(el('td', null, e.event_types.join(', ')));
        tr.appendChild(el('td', null, e.enabled ? w('enabled') : w('disabled') + (e.disabled_reason ? ': ' + e.disabled_reason : '')));
        const act = el('td', 'row-actions');
        act.appendChild(button(w('deliveries'), null, () => showLog(e)));
        act.appendChild(button(w('rotate'), null, async () => {
          if (!window.confirm(w('confirm_rotate'))) return;
          const rr = await ctx.api('POST', '/v1/admin/webhooks/' + encodeURIComponent(e.id) + '/rotate', {});
          if (rr.status >= 300) return ctx.toast(errorOf(rr));
          showSecret(rr.data.secret);
          reload();
        }));
        if (!e.enabled) {
          act.appendChild(button(w('enable'), null, async () => {
            const rr = await ctx.api('POST', '/v1/admin/webhooks/' + encodeURIComponent(e.id) + '/enable', {});
            if (rr.status >= 300) ctx.toast(errorOf(rr));
            reload();
          }));
        }
        act.appendChild(button(w('delete'), 'danger', async () => {
          if (!window.confirm(w('confirm_delete'))) return;
          const rr = await ctx.api('DELETE', '/v1/admin/webhooks/' + encodeURIComponent(e.id));
          if (rr.status >= 300) ctx.toast(errorOf(rr));
          logBox.textContent = '';
          reload();
        }));
        tr.appendChild(act);
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      listBox.appendChild(table);
    }

    const secretBox = el('div', 'webhook-secret');
    secretBox.hidden = true;
    function showSecret(secret) {
      secretBox.textContent = '';
      secretBox.appendChild(el('p', null, w('secret_once')));
      const code = el('code', null, secret);
      secretBox.appendChild(code);
      secretBox.hidden = false;
    }

    // The registration form.
    const form = el('form', 'admin-form');
    form.appendChild(el('h3', null, w('register')));
    const urlLabel = el('label', null, w('url'));
    const urlInput = el('input');
    urlInput.type = 'url';
    urlInput.required = true;
    urlInput.placeholder = 'https://';
    urlLabel.appendChild(urlInput);
    form.appendChild(urlLabel);
    const descLabel = el('label', null, w('description'));
    const descInput = el('input');
    descInput.maxLength = 200;
    descLabel.appendChild(descInput);
    form.appendChild(descLabel);
    const fieldset = el('fieldset');
    fieldset.appendChild(el('legend', null, w('events')));
    const boxes = types.map((name) => {
      const label = el('label', 'check');
      const box = el('input');
      box.type = 'checkbox';
      box.value = name;
      label.appendChild(box);
      label.appendChild(document.createTextNode(' ' + name));
      fieldset.appendChild(label);
      return box;
    });
    form.appendChild(fieldset);
    const err = el('p', 'form-error');
    err.setAttribute('role', 'alert');
    form.appendChild(err);
    const save = el('button', 'btn primary', w('register'));
    save.type = 'submit';
    form.appendChild(save);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      const picked = boxes.filter((b) => b.checked).map((b) => b.value);
      if (!picked.length) {
        err.textContent = w('pick_events');
        return;
      }
      const r = await ctx.api('POST', '/v1/admin/webhooks', {
        url: urlInput.value,
        description: descInput.value,
        event_types: picked,
      });
      if (r.status !== 201) {
        err.textContent = errorOf(r);
        return;
      }
      form.reset();
      showSecret(r.data.secret);
      reload();
    });
    side.appendChild(form);
    side.appendChild(secretBox);
    await reload();
  },
};
