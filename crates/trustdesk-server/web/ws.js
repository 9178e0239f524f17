// trustdesk: a WebSocket client for protocol v1 (docs/protocol.md), shared
// by the widget frame and the agent console. It says `hello`, reconnects with
// capped, jittered exponential backoff, and tells its owner when it is
// (re)connected so the owner can resubscribe with `since`.
'use strict';
(function () {
  const TD = (window.TD = window.TD || {});

  // 0.5 s doubling to 30 s, each delay drawn from ±50 % around the step.
  const BASE_MS = 500;
  const CAP_MS = 30000;
  function backoff(attempt) {
    const step = Math.min(CAP_MS, BASE_MS * Math.pow(2, attempt));
    return Math.round(step * (0.5 + Math.random()));
  }
  TD.backoff = backoff;

  // Close codes after which reconnecting with the same token is pointless.
  const FATAL = { 4001: 'unauthorized', 4002: 'session_revoked', 4006: 'unsupported_version' };

  class Socket {
    // opts: token, onReady(welcome), onFrame(frame), onState('connecting'|
    // 'open'|'offline'), onFatal(reason)
    constructor(opts) {
      this.opts = opts;
      this.ws = null;
      this.ready = false;
      this.attempt = 0;
      this.timer = null;
      this.pingTimer = null;
      this.pongDue = null;
      this.stopped = false;
      this.onOnline = () => {
        if (!this.ready && !this.stopped) this.reconnectNow();
      };
      window.addEventListener('online', this.onOnline);
    }

    url() {
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
      return proto + '//' + location.host + '/v1/ws';
    }

    start() {
      this.stopped = false;
      this.connect();
    }

    stop() {
      this.stopped = true;
      clearTimeout(this.timer);
      this.clearPing();
      window.removeEventListener('online', this.onOnline);
      if (this.ws) {
        try { this.ws.close(1000, 'bye'); } catch (_) { /* already closed */ }
      }
      this.ws = null;
      this.ready = false;
    }

    reconnectNow() {
      clearTimeout(this.timer);
      this.attempt = 0;
      if (this.ws) {
        try { this.ws.close(); } catch (_) { /* ignore */ }
      } else {
        this.connect();
      }
    }

    setState(s) {
      if (this.opts.onState) this.opts.onState(s);
    }

    connect() {
      if (this.stopped) return;
      this.setState('connecting');
      let ws;
      try {
        ws = new WebSocket(this.url());
      } catch (_) {
        this.schedule();
        return;
      }
      this.ws = ws;
      ws.onopen = () => {
        ws.send(JSON.stringify({ type: 'hello', v: 1, token: this.opts.token }));
      };
      ws.onmessage = (msg) => {
        let frame;
        try { frame = JSON.parse(msg.data); } catch (_) { return; }
        this.pongDue = null;
        if (frame.type === 'welcome') {
          this.ready = true;
          this.attempt = 0;
          this.startPing(frame.heartbeat_interval_ms || 25000);
          this.setState('open');
          this.opts.onReady(frame);
          return;
        }
        if (frame.type === 'pong') return;
        if (frame.type === 'bye') {
          this.byeReason = frame.reason;
          return;
        }
        this.opts.onFrame(frame);
      };
      ws.onclose = (ev) => {
        if (this.ws !== ws) return;
        this.ws = null;
        this.ready = false;
        this.clearPing();
        const fatal = FATAL[ev.code];
        if (fatal && !this.stopped) {
          this.stopped = true;
          this.setState('offline');
          if (this.opts.onFatal) this.opts.onFatal(fatal);
          return;
        }
        if (this.stopped) return;
        this.setState('offline');
        this.schedule();
      };
    }

    schedule() {
      clearTimeout(this.timer);
      const delay = backoff(this.attempt);
      this.attempt = Math.min(this.attempt + 1, 16);
      this.timer = setTimeout(() => this.connect(), delay);
    }

    // A silent, half-open connection is noticed by an application ping.
    startPing(interval) {
      this.clearPing();
      this.pingTimer = setInterval(() => {
        if (!this.ready) return;
        if (this.pongDue && Date.now() > this.pongDue) {
          try { this.ws.close(); } catch (_) { /* ignore */ }
          return;
        }
        if (this.send({ type: 'ping' }) && !this.pongDue) this.pongDue = Date.now() + 10000;
      }, Math.max(5000, Math.min(interval, 25000)));
    }

    clearPing() {
      clearInterval(this.pingTimer);
      this.pingTimer = null;
      this.pongDue = null;
    }

    // Sends a frame if the socket is authenticated; false otherwise (the
    // caller keeps it and resends after the next onReady).
    send(frame) {
      if (!this.ready || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
      this.ws.send(JSON.stringify(frame));
      return true;
    }
  }
  TD.Socket = Socket;

  // A client message id: unique enough per sender, within the protocol's
  // alphabet (A-Z a-z 0-9 - _ . :) and 64 characters.
  let counter = 0;
  TD.clientMsgId = function (prefix) {
    counter += 1;
    const rand = Math.random().toString(36).slice(2, 10);
    return prefix + '-' + Date.now().toString(36) + '-' + rand + '-' + counter;
  };

  // Clears an element and fills it with text: user content never becomes HTML.
  TD.text = function (el, value) {
    el.textContent = value == null ? '' : String(value);
    return el;
  };

  // document.createElement with a class and optional text.
  TD.el = function (tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  };

  // A shared file inside `holder`: a link that downloads it and, for an
  // image, a preview. The bytes are fetched once with the session token and
  // handed to the browser as a blob: URL (the server serves them only as an
  // attachment, never as a page of this origin).
  TD.showFile = function (holder, file, token, downloadLabel) {
    const link = TD.el('a', 'file-link', file.name + ' · ' + TD.formatBytes(file.size));
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
  };

  TD.formatBytes = function (n) {
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(n < 10240 ? 1 : 0) + ' KB';
    return (n / 1048576).toFixed(1) + ' MB';
  };

  TD.formatTime = function (ms, lang) {
    const d = new Date(ms);
    const now = new Date();
    const sameDay = d.toDateString() === now.toDateString();
    const locale = lang === 'zh' ? 'zh-CN' : 'en-GB';
    const opts = sameDay ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
    try { return d.toLocaleString(locale, opts); } catch (_) { return d.toISOString(); }
  };
})();
