// What an agent does to the open conversation: status, assignment,
// transfer, snooze, reminders, files, presence, keyboard shortcuts, and
// the toast that reports the outcome.
import { el } from '../lib/dom.js';
import { errorCode, errorMessage } from '../lib/api.js';
import { els, st, t } from './state.js';
import { api } from './session.js';
import { loadInbox, step } from './inbox.js';
import { setMode } from './composer.js';

// ---- commands ----------------------------------------------------------------

async function setStatus(status) {
  if (!st.current) return;
  const r = await api('POST', '/v1/agent/conversations/' + st.current.id + '/status', { status });
  if (r.status !== 200) toast(t('c.error', { code: errorCode(r) }));
}

async function assignToMe() {
  if (!st.current || !st.me) return;
  const r = await api('POST', '/v1/agent/conversations/' + st.current.id + '/assign', { agent_id: st.me.id });
  if (r.status !== 200) toast(t('c.error', { code: errorCode(r) }));
}

els['act-assign'].addEventListener('click', assignToMe);
els['act-pending'].addEventListener('click', () => setStatus('pending'));
els['act-resolve'].addEventListener('click', () => setStatus('resolved'));
els['act-reopen'].addEventListener('click', () => setStatus('open'));
els['act-close'].addEventListener('click', () => setStatus('closed'));

let toastTimer = null;
export function toast(text, ok) {
  els.toast.classList.toggle('ok', !!ok);
  els.toast.textContent = text;
  els.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { els.toast.hidden = true; }, 5000);
}

// ---- keyboard shortcuts ---------------------------------------------------------

document.addEventListener('keydown', (e) => {
  if (!st.me || !e.altKey || e.ctrlKey || e.metaKey) return;
  const code = e.code;
  if (code === 'KeyN' && st.current) {
    e.preventDefault();
    setMode('note');
    els.compose.focus();
  } else if (code === 'KeyR' && st.current) {
    e.preventDefault();
    setMode('reply');
    els.compose.focus();
  } else if (code === 'KeyJ') {
    e.preventDefault();
    step(1);
  } else if (code === 'KeyK') {
    e.preventDefault();
    step(-1);
  } else if (code === 'KeyS' && st.current) {
    e.preventDefault();
    setStatus('resolved');
  }
});

// ---- attachments ------------------------------------------------------------

els.attach.addEventListener('click', () => els.file.click());
els.file.addEventListener('change', async () => {
  const file = els.file.files && els.file.files[0];
  els.file.value = '';
  if (!file || !st.current) return;
  const r = await api.upload('/v1/agent/conversations/' + encodeURIComponent(st.current.id) + '/attachments', file);
  if (r.status !== 201) toast(errorMessage(r) || t('c.error', { code: r.status }));
});

// ---- transfer, snooze, reminders, presence ------------------------------------------------

const teams = new Map();
export function teamName(id) {
  const team = teams.get(id);
  return team ? team.name : id ? id.slice(0, 8) : '';
}
async function loadTeams() {
  const r = await api('GET', '/v1/agent/teams');
  if (r.status === 200) (r.data.teams || []).forEach((x) => teams.set(x.id, x));
}

function field(labelKey, input) {
  const wrap = el('div', 'field');
  const id = 'act-' + Math.random().toString(36).slice(2, 8);
  input.id = id;
  const label = el('label', null, t(labelKey));
  label.htmlFor = id;
  wrap.appendChild(label);
  wrap.appendChild(input);
  els['act-fields'].appendChild(wrap);
  return input;
}

function select(options) {
  const s = document.createElement('select');
  options.forEach(([value, label]) => {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = label;
    s.appendChild(o);
  });
  return s;
}

function tomorrowNine() {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  d.setHours(9, 0, 0, 0);
  return d.getTime();
}

const HOUR = 3600000;
const LATER = () => [
  [String(HOUR), t('c.h1')], [String(4 * HOUR), t('c.h4')], ['tomorrow', t('c.tomorrow')],
  [String(24 * HOUR), t('c.h24')], [String(72 * HOUR), t('c.d3')], [String(168 * HOUR), t('c.week')],
];
const untilOf = (v) => (v === 'tomorrow' ? tomorrowNine() : Date.now() + Number(v));

// One dialog for the three actions: `build` adds the fields and returns
// the request to send when the form is submitted.
let dialogSubmit = null;
function openDialog(titleKey, build) {
  if (!st.current) return;
  els['act-fields'].textContent = '';
  els['act-error'].textContent = '';
  els['act-dialog-title'].textContent = t(titleKey);
  dialogSubmit = build();
  els['act-dialog'].showModal();
  const first = els['act-fields'].querySelector('select, input, textarea');
  if (first) first.focus();
}
els['act-cancel'].addEventListener('click', () => els['act-dialog'].close());
els['act-form'].addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!dialogSubmit || !st.current) return;
  if (!els['act-form'].reportValidity()) return;
  const [path, body] = dialogSubmit();
  const r = await api('POST', '/v1/agent/conversations/' + encodeURIComponent(st.current.id) + path, body);
  if (r.status >= 200 && r.status < 300) els['act-dialog'].close();
  else els['act-error'].textContent = errorMessage(r) || t('c.error', { code: r.status });
});

els['act-transfer'].addEventListener('click', async () => {
  if (!teams.size) await loadTeams();
  openDialog('c.transfer_title', () => {
    const options = [];
    st.agents.forEach((a) => {
      if (!st.me || a.id !== st.me.id) options.push(['agent:' + a.id, a.display_name]);
    });
    teams.forEach((x) => options.push(['team:' + x.id, t('c.team', { name: x.name })]));
    const to = field('c.transfer_to', select(options));
    const reason = field('c.reason', document.createElement('textarea'));
    reason.required = true;
    reason.maxLength = 500;
    return () => {
      const [kind, id] = to.value.split(':');
      return ['/transfer', kind === 'agent' ? { agent_id: id, reason: reason.value } : { team_id: id, reason: reason.value }];
    };
  });
});

els['act-snooze'].addEventListener('click', () => openDialog('c.snooze_title', () => {
  const when = field('c.in', select(LATER()));
  return () => ['/status', { status: 'snoozed', snoozed_until: untilOf(when.value) }];
}));

els['act-remind'].addEventListener('click', () => openDialog('c.remind_title', () => {
  const when = field('c.in', select(LATER()));
  const note = field('c.note_what', document.createElement('input'));
  note.required = true;
  note.maxLength = 500;
  return () => ['/reminders', { at: untilOf(when.value), note: note.value }];
}));

els.presence.addEventListener('change', () => {
  if (st.socket) st.socket.send({ type: 'presence', status: els.presence.value, ref: 'presence' });
});

// The "SLA at risk" list moves with time, not only with events.
setInterval(() => {
  if (st.me && st.filter === 'sla') loadInbox();
}, 60000);
