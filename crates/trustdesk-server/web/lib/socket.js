// trustdesk: the WebSocket client for protocol v1 (docs/protocol.md), shared
// by the widget frame and the agent console. It says `hello`, reconnects with
// capped, jittered exponential backoff, pings a silent connection, and tells
// its owner when it is (re)connected so the owner can resubscribe with
// `since` and flush its outbox (lib/outbox.js).

// 0.5 s doubling to 30 s, each delay drawn from ±50 % around the step.
const BASE_MS = 500;
const CAP_MS = 30000;
export function backoff(attempt) {
  const step = Math.min(CAP_MS, BASE_MS * Math.pow(2, attempt));
  return Math.round(step * (0.5 + Math.random()));
}

// Close codes after which reconnecting with the same token is pointless.
const FATAL = { 4001: 'unauthorized', 4002: 'session_revoked', 4006: 'unsupported_version' };

export class Socket {
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
