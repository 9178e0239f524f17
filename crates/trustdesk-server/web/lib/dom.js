// trustdesk: small DOM helpers shared by every page. User content only
// ever goes in as text (textContent), never as HTML.

// document.createElement with a class and optional text.
export function el(tag, cls, content) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (content != null) e.textContent = String(content);
  return e;
}

// A shared file inside `holder`: a link that downloads it and, for an
// image, a preview. The bytes are fetched once with the session token and
// handed to the browser as a blob: URL (the server serves them only as an
// attachment, never as a page of this origin).
export function showFile(holder, file, token, downloadLabel) {
  const link = el('a', 'file-link', file.name + ' · ' + formatBytes(file.size));
  link.href = '#';
  link.setAttribute('aria-label', downloadLabel + ': ' + file.name);
  holder.appendChild(link);
  const load = fetch('/v1/attachments/' + encodeURIComponent(file.id), {
    headers: { authorization: 'Bearer ' + token },
    credentials: 'omit',
  })
    .then((res) => (res.ok ? res.blob() : null))
    .then((blob) => (blob ? URL.createObjectURL(blob) : null))
    .catch(() => null);
  link.addEventListener('click', async (e) => {
    e.preventDefault();
    const url = await load;
    if (!url) return;
    const a = document.createElement('a');
    a.href = url;
    a.download = file.name;
    a.click();
  });
  if (/^image\//.test(file.mime)) {
    load.then((url) => {
      if (!url) return;
      const img = document.createElement('img');
      img.className = 'thumb';
      img.alt = file.name;
      img.src = url;
      holder.insertBefore(img, link);
    });
  }
}

export function formatBytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(n < 10240 ? 1 : 0) + ' KB';
  return (n / 1048576).toFixed(1) + ' MB';
}

export function formatTime(ms, lang) {
  const d = new Date(ms);
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  const locale = lang === 'zh' ? 'zh-CN' : 'en-GB';
  const opts = sameDay ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  try { return d.toLocaleString(locale, opts); } catch (_) { return d.toISOString(); }
}

// Inserts `li` into `list` in log order: before the first item with a
// higher seq, and before the items still waiting for theirs (no seq yet).
export function insertBySeq(list, li, seq) {
  const items = Array.from(list.children);
  const after = items.find((x) => x.dataset.seq && Number(x.dataset.seq) > seq);
  const firstPending = items.find((x) => !x.dataset.seq);
  list.insertBefore(li, after || firstPending || null);
}
