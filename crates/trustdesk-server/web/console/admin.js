// trustdesk console: the admin pages (supervisors and admins). Each page is
// a resource described once below: how to list it, its columns, its form
// fields and how to save and delete one; one renderer draws them all.
// Everything is inserted as text, never as HTML.
import { el } from '../lib/dom.js';
import { i18n } from '../lib/i18n.js';
import { WEBHOOKS_PAGE } from './webhooks.js';
import { REPORTS_PAGE } from './reports.js';
import { AUTOMATION_PAGE } from './automation.js';
import { QA_PAGE } from './qa.js';

const t = i18n.t.bind(i18n);

const CATEGORIES = ['account', 'trading', 'transfer', 'security', 'storage', 'compliance'];
const LOCALES = ['en', 'zh'];
const CHANNEL_KINDS = ['domain', 'email', 'telegram', 'phone', 'social', 'agent_id'];

// Pages, in tab order. `role` is the least role that may open the page.
const PAGES = [
  {
    id: 'kb',
    role: 'supervisor',
    title: 'a.kb',
    list: async (api) => ((await api('GET', '/v1/admin/kb/articles')).data || {}).articles || [],
    columns: [
      ['a.title', (a) => a.title],
      ['a.locale', (a) => i18n.v('lang', a.locale)],
      ['a.category', (a) => i18n.v('cat', a.category)],
      ['a.published', (a) => (a.published ? t('a.yes') : t('a.no'))],
    ],
    fields: [
      { name: 'title', label: 'a.title', required: true },
      { name: 'slug', label: 'a.slug', required: true, pattern: '[a-z0-9-]+' },
      { name: 'locale', label: 'a.locale', options: LOCALES, optionPrefix: 'lang' },
      { name: 'category', label: 'a.category', options: CATEGORIES, optionPrefix: 'cat' },
      { name: 'tags', label: 'a.tags', list: true },
      { name: 'body', label: 'a.body', textarea: 12, required: true },
      { name: 'published', label: 'a.published', checkbox: true, default: true },
    ],
    save: (api, value) => api('POST', '/v1/admin/kb/articles', value),
    // Unpublishing keeps the article for editing; it leaves search.
    rowAction: {
      label: (a) => (a.published ? t('a.unpublish') : t('a.publish')),
      run: (api, a) => api('POST', '/v1/admin/kb/articles/' + encodeURIComponent(a.id) + '/published', { published: !a.published }),
    },
  },
  {
    id: 'canned',
    role: 'supervisor',
    title: 'a.canned',
    list: async (api) => (await api('GET', '/v1/agent/canned')).data || [],
    columns: [
      ['a.shortcut', (c) => '/' + c.shortcut],
      ['a.title', (c) => c.title],
      ['a.locale', (c) => (c.locale ? i18n.v('lang', c.locale) : '')],
    ],
    fields: [
      { name: 'shortcut', label: 'a.shortcut', required: true, pattern: '/?[a-z0-9-]{1,32}' },
      { name: 'title', label: 'a.title', required: true },
      { name: 'locale', label: 'a.locale', options: [''].concat(LOCALES), optionPrefix: 'lang' },
      { name: 'body', label: 'a.body', textarea: 5, required: true, hint: 'a.canned_hint' },
    ],
    save: (api, value, existing) => existing
      ? api('PUT', '/v1/agent/canned/' + encodeURIComponent(existing.id), value)
      : api('POST', '/v1/agent/canned', value),
    remove: (api, c) => api('DELETE', '/v1/agent/canned/' + encodeURIComponent(c.id)),
  },
  {
    id: 'routing',
    role: 'supervisor',
    title: 'a.routing',
    editOnly: true,
    // Agents with their routing profile (skills, capacity, languages, team).
    list: async (api) => {
      const [agents, teams] = await Promise.all([api('GET', '/v1/agent/agents'), api('GET', '/v1/agent/teams')]);
      state.teams = (teams.data && teams.data.teams) || [];
      const list = (agents.data && agents.data.agents) || [];
      return Promise.all(list.map(async (a) => {
        const r = await api('GET', '/v1/admin/agents/' + encodeURIComponent(a.id) + '/routing');
        return Object.assign({}, a, { routing: r.status === 200 ? r.data : null });
      }));
    },
    columns: [
      ['a.agent', (a) => a.display_name + ' · ' + i18n.v('role', a.role)],
      ['a.languages', (a) => (a.languages || []).map((l) => i18n.v('lang', l)).join(', ')],
      ['a.team', (a) => teamName(a.team_id)],
      ['a.capacity', (a) => (a.routing ? a.routing.capacity : '')],
      ['a.skills', (a) => skillsText(a.routing && a.routing.skills)],
    ],
    canEdit: (a) => !!a.routing,
    fields: [
      { name: 'capacity', label: 'a.capacity', required: true, pattern: '[0-9]{1,3}', get: (a) => a.routing.capacity },
      { name: 'languages', label: 'a.languages_hint', list: true, get: (a) => a.languages },
      { name: 'team_id', label: 'a.team', choices: () => [['', '—']].concat(state.teams.map((x) => [x.id, x.name])), get: (a) => a.team_id },
    ].concat(CATEGORIES.map((c) => ({
      name: 'skill_' + c,
      label: 'cat.' + c,
      choices: () => [['0', t('a.skill0')], ['1', '1'], ['2', '2'], ['3', '3']],
      get: (a) => (a.routing.skills && a.routing.skills[c]) || 0,
    }))),
    save: (api, v, a) => {
      const skills = {};
      CATEGORIES.forEach((c) => {
        const n = Number(v['skill_' + c] || 0);
        if (n > 0) skills[c] = n;
      });
      return api('PUT', '/v1/admin/agents/' + encodeURIComponent(a.id) + '/routing', {
        skills,
        capacity: Number(v.capacity),
        languages: v.languages || [],
        team_id: v.team_id ? v.team_id : null,
      });
    },
  },
  {
    id: 'teams',
    role: 'admin',
    title: 'a.teams',
    list: async (api) => ((await api('GET', '/v1/agent/teams')).data || {}).teams || [],
    columns: [['a.team', (x) => x.name]],
    fields: [{ name: 'name', label: 'a.team', required: true }],
    createOnly: true,
    save: (api, v) => api('POST', '/v1/admin/teams', v),
  },
  {
    id: 'sla',
    role: 'supervisor',
    title: 'a.sla',
    editOnly: true,
    // One row per priority of the policy in effect; saving a row writes
    // the whole policy (admins).
    list: async (api) => {
      const r = await api('GET', '/v1/admin/sla/policy');
      state.policy = r.status === 200 ? r.data : null;
      if (!state.policy) return [];
      return ['urgent', 'high', 'normal', 'low'].map((p) => Object.assign({ priority: p }, state.policy[p]));
    },
    columns: [
      ['a.priority', (x) => i18n.v('pr', x.priority)],
      ['a.first', (x) => minutes(x.first_response_ms)],
      ['a.next', (x) => minutes(x.next_response_ms)],
      ['a.resolution', (x) => minutes(x.resolution_ms)],
      ['a.business', (x) => (x.business_hours ? t('a.yes') : t('a.no'))],
    ],
    fields: [
      { name: 'first', label: 'a.first_min', pattern: '[0-9]*', get: (x) => toMin(x.first_response_ms) },
      { name: 'next', label: 'a.next_min', pattern: '[0-9]*', get: (x) => toMin(x.next_response_ms) },
      { name: 'resolution', label: 'a.resolution_min', pattern: '[0-9]*', get: (x) => toMin(x.resolution_ms) },
      { name: 'business_hours', label: 'a.business', checkbox: true, get: (x) => x.business_hours },
    ],
    save: (api, v, x) => {
      const ms = (m) => (m === undefined || m === '' ? null : Number(m) * 60000);
      const policy = Object.assign({}, state.policy);
      policy[x.priority] = {
        first_response_ms: ms(v.first),
        next_response_ms: ms(v.next),
        resolution_ms: ms(v.resolution),
        business_hours: !!v.business_hours,
      };
      return api('PUT', '/v1/admin/sla/policy', policy);
    },
  },
  {
    id: 'registry',
    role: 'admin',
    title: 'a.registry',
    list: async (api) => {
      const d = (await api('GET', '/v1/admin/registry')).data;
      return Array.isArray(d) ? d : (d && d.channels) || [];
    },
    columns: [
      ['a.kind', (c) => t('a.kind.' + c.kind)],
      ['a.value', (c) => c.value],
      ['a.label', (c) => c.label],
    ],
    fields: [
      { name: 'kind', label: 'a.kind', options: CHANNEL_KINDS, optionPrefix: 'a.kind', optionKey: true },
      { name: 'value', label: 'a.value', required: true },
      { name: 'label', label: 'a.label', required: true },
    ],
    createOnly: true,
    save: (api, value) => api('POST', '/v1/admin/registry', value),
    remove: (api, c) => api('DELETE', '/v1/admin/registry/' + encodeURIComponent(c.id)),
  },
  // Draws itself (see automation.js).
  AUTOMATION_PAGE,
  // Draws itself (see webhooks.js).
  WEBHOOKS_PAGE,
  // Draws itself (see reports.js).
  REPORTS_PAGE,
  // Draws itself (see qa.js).
  QA_PAGE,
];

const RANK = { agent: 0, supervisor: 1, admin: 2 };

// What the pages above loaded and their forms offer (teams, the policy).
const state = { teams: [], policy: null };
function teamName(id) {
  const team = state.teams.find((x) => x.id === id);
  return team ? team.name : '';
}
function skillsText(skills) {
  return Object.keys(skills || {})
    .filter((c) => skills[c] > 0)
    .map((c) => i18n.v('cat', c) + ' ' + skills[c])
    .join(', ');
}
function toMin(ms) {
  return ms == null ? '' : String(Math.round(ms / 60000));
}
function minutes(ms) {
  return ms == null ? '—' : t('a.min', { n: Math.round(ms / 60000) });
}

let ctx = null; // { api, me, toast } from the console
let root = null;
let current = null;

function allowed(page) {
  return ctx && ctx.me() && RANK[ctx.me().role] >= RANK[page.role];
}

function errorText(r) {
  return (r.data && r.data.error && r.data.error.message) || t('c.error', { code: r.status });
}

function optionLabel(field, v) {
  if (v === '') return '—';
  if (field.optionKey) return t(field.optionPrefix + '.' + v);
  return i18n.v(field.optionPrefix, v);
}

// The form for a new item (`item` null) or to edit one.
function renderForm(page, item, box, reload) {
  box.textContent = '';
  if (!item && page.editOnly) {
    box.appendChild(el('p', 'hint', t('a.pick_row')));
    return;
  }
  const form = document.createElement('form');
  form.className = 'admin-form';
  form.noValidate = false;
  const title = el('h3', null, item ? t('a.edit') : t('a.new'));
  form.appendChild(title);
  const inputs = {};
  page.fields.forEach((f) => {
    const id = 'af-' + page.id + '-' + f.name;
    const wrap = el('div', 'field' + (f.checkbox ? ' check' : ''));
    const label = el('label', null, t(f.label));
    label.htmlFor = id;
    let input;
    if (f.choices) {
      // [value, label] pairs known only at run time (teams, …)
      input = document.createElement('select');
      f.choices().forEach(([v, label]) => {
        const o = document.createElement('option');
        o.value = v;
        o.textContent = label;
        input.appendChild(o);
      });
    } else if (f.options) {
      input = document.createElement('select');
      f.options.forEach((v) => {
        const o = document.createElement('option');
        o.value = v;
        o.textContent = optionLabel(f, v);
        input.appendChild(o);
      });
    } else if (f.textarea) {
      input = document.createElement('textarea');
      input.rows = f.textarea;
    } else {
      input = document.createElement('input');
      input.type = f.checkbox ? 'checkbox' : 'text';
      if (f.pattern) input.pattern = f.pattern;
    }
    input.id = id;
    input.name = f.name;
    if (f.required) input.required = true;
    const v = item ? (f.get ? f.get(item) : item[f.name]) : f.default;
    if (f.checkbox) input.checked = v !== false && v !== undefined;
    else if (f.choices || f.options) input.value = v == null ? '' : String(v);
    else if (f.list) input.value = (v || []).join(', ');
    else if (v != null) input.value = v;
    inputs[f.name] = input;
    if (f.checkbox) {
      wrap.appendChild(input);
      wrap.appendChild(label);
    } else {
      wrap.appendChild(label);
      wrap.appendChild(input);
    }
    if (f.hint) wrap.appendChild(el('p', 'hint', t(f.hint)));
    form.appendChild(wrap);
  });
  const err = el('p', 'error');
  err.setAttribute('role', 'alert');
  form.appendChild(err);
  const actions = el('div', 'form-actions');
  const save = el('button', 'btn primary', t('a.save'));
  save.type = 'submit';
  actions.appendChild(save);
  if (item) {
    const cancel = el('button', 'btn', t('a.cancel'));
    cancel.type = 'button';
    cancel.addEventListener('click', () => renderForm(page, null, box, reload));
    actions.appendChild(cancel);
  }
  form.appendChild(actions);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    const value = {};
    page.fields.forEach((f) => {
      const input = inputs[f.name];
      if (f.checkbox) value[f.name] = input.checked;
      else if (f.list) value[f.name] = input.value.split(',').map((s) => s.trim()).filter(Boolean);
      else if (input.value !== '') value[f.name] = input.value;
    });
    save.disabled = true;
    const r = await page.save(ctx.api, value, item);
    save.disabled = false;
    if (r.status >= 200 && r.status < 300) {
      ctx.toast(t('a.saved'), true);
      renderForm(page, null, box, reload);
      reload();
    } else {
      err.textContent = errorText(r);
    }
  });
  box.appendChild(form);
}

async function renderPage(page) {
  current = page;
  root.querySelectorAll('.admin-tabs [role=tab]').forEach((b) => {
    b.setAttribute('aria-selected', b.dataset.page === page.id ? 'true' : 'false');
  });
  const body = root.querySelector('.admin-body');
  body.textContent = '';
  body.className = 'admin-body'; // drop a page's own layout class
  if (page.render) {
    await page.render(body, ctx);
    return;
  }
  const listBox = el('div', 'admin-list');
  const formBox = el('div', 'admin-edit');
  body.appendChild(listBox);
  body.appendChild(formBox);
  const reload = async () => {
    const items = await page.list(ctx.api);
    if (current !== page) return;
    listBox.textContent = '';
    const table = document.createElement('table');
    table.className = 'admin-table';
    const caption = el('caption', null, t(page.title) + ' (' + items.length + ')');
    table.appendChild(caption);
    const head = document.createElement('tr');
    page.columns.forEach(([label]) => head.appendChild(el('th', null, t(label))));
    head.appendChild(el('th', 'sr-only', t('a.actions')));
    const thead = document.createElement('thead');
    thead.appendChild(head);
    table.appendChild(thead);
    const tbody = document.createElement('tbody');
    items.forEach((item) => {
      const tr = document.createElement('tr');
      page.columns.forEach(([, get]) => tr.appendChild(el('td', null, String(get(item) == null ? '' : get(item)))));
      const td = el('td', 'row-actions');
      if (!page.createOnly && !(page.canEdit && !page.canEdit(item))) {
        const edit = el('button', 'btn small', t('a.edit'));
        edit.type = 'button';
        edit.addEventListener('click', () => {
          renderForm(page, item, formBox, reload);
          formBox.querySelector('input, select, textarea').focus();
        });
        td.appendChild(edit);
      }
      if (page.rowAction) {
        const b = el('button', 'btn small', page.rowAction.label(item));
        b.type = 'button';
        b.addEventListener('click', async () => {
          const r = await page.rowAction.run(ctx.api, item);
          if (r.status >= 300) ctx.toast(errorText(r));
          reload();
        });
        td.appendChild(b);
      }
      if (page.remove) {
        const del = el('button', 'btn small danger', t('a.delete'));
        del.type = 'button';
        del.addEventListener('click', async () => {
          if (!window.confirm(t('a.confirm_delete'))) return;
          const r = await page.remove(ctx.api, item);
          if (r.status >= 300) ctx.toast(errorText(r));
          reload();
        });
        td.appendChild(del);
      }
      tr.appendChild(td);
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    listBox.appendChild(table);
  };
  renderForm(page, null, formBox, reload);
  await reload();
}

// Called by the console once signed in; returns whether this agent has
// any admin page.
export function mountAdminPages(rootEl, context) {
  ctx = context;
  root = rootEl;
  const pages = PAGES.filter(allowed);
  root.textContent = '';
  if (!pages.length) return false;
  const tabs = el('div', 'admin-tabs');
  tabs.setAttribute('role', 'tablist');
  tabs.setAttribute('aria-label', t('a.title_admin'));
  pages.forEach((p) => {
    const b = el('button', null, t(p.title));
    b.type = 'button';
    b.setAttribute('role', 'tab');
    b.dataset.page = p.id;
    b.addEventListener('click', () => renderPage(p));
    tabs.appendChild(b);
  });
  root.appendChild(tabs);
  root.appendChild(el('div', 'admin-body'));
  renderPage(current && pages.includes(current) ? current : pages[0]);
  return true;
}
