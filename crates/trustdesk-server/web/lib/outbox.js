// trustdesk: the sending half of protocol v1 (docs/protocol.md), shared by
// the widget frame and the agent console, with no DOM in it.
//
// `Outbox` holds every message the user wrote until the server has it: each
// carries a client_msg_id, is sent as a `send` frame when its conversation
// is subscribed, and moves sending → sent on its `ack` (or on the event that
// echoes it), sending → failed on an `error` for it or when no ack comes in
// time; a failed one goes back to sending when the user retries. After a
// reconnect everything still sending is sent again with the same id, which
// the server stores exactly once.
//
// `Feed` keeps a conversation's order: which seqs are shown, and the cursor
// (`since`) to resubscribe with, so a reconnect fetches only what was missed
// and nothing shows twice.

/** How long a sent message waits for its ack before it counts as failed. */
export const ACK_TIMEOUT_MS = 15000;

/**
 * How long to wait before sending again after `overloaded`: the server's
 * hint (1 s without one) plus up to half again, so refused clients do not
 * all return in the same instant.
 */
export function retryDelay(ms) {
  return (ms > 0 ? ms : 1000) * (1 + Math.random() / 2);
}

let counter = 0;

/**
 * A client message id: unique per sender, within the protocol's alphabet
 * (A-Z a-z 0-9 - _ . :) and 64 characters.
 */
export function clientMsgId(prefix) {
  counter += 1;
  const rand = Math.random().toString(36).slice(2, 10);
  return prefix + '-' + Date.now().toString(36) + '-' + rand + '-' + counter;
}

export class Outbox {
  /**
   * @param {object} opts
   * @param {(frame: object) => boolean} opts.send puts a frame on the socket;
   *   false when it is not connected (the item waits for `flush`).
   * @param {(item: object) => (string|null)} opts.target the conversation to
   *   send the item to now, or null while it cannot go out yet.
   * @param {(item: object) => void} [opts.onChange] called after every state
   *   change, for the owner to redraw the item.
   * @param {number} [opts.timeoutMs]
   * @param {Function} [opts.setTimer] / [opts.clearTimer] for tests.
   */
  constructor(opts) {
    this.sendFrame = opts.send;
    this.target = opts.target;
    this.onChange = opts.onChange || (() => {});
    this.timeoutMs = opts.timeoutMs || ACK_TIMEOUT_MS;
    this.setTimer = opts.setTimer || ((f, ms) => setTimeout(f, ms));
    this.clearTimer = opts.clearTimer || ((id) => clearTimeout(id));
    this.waiting = new Map(); // client_msg_id -> item
  }

  /** Adds a message ({cmid, body, ...owner fields}) and tries to send it. */
  add(item) {
    item.state = 'sending';
    item.timer = null;
    this.waiting.set(item.cmid, item);
    this.send(item);
    return item;
  }

  get(cmid) {
    return cmid ? this.waiting.get(cmid) || null : null;
  }

  /** Every item not yet acknowledged, in the order written. */
  items() {
    return Array.from(this.waiting.values());
  }

  /** (Re)sends one item if its conversation is ready; else it waits. */
  send(item) {
    this.setState(item, 'sending');
    const conversationId = this.target(item);
    if (!conversationId) return false;
    const frame = {
      type: 'send',
      conversation_id: conversationId,
      client_msg_id: item.cmid,
      body: item.body,
      ref: item.cmid,
    };
    if (item.internal) frame.internal = true;
    if (!this.sendFrame(frame)) return false;
    this.clearTimer(item.timer);
    item.timer = this.setTimer(() => {
      if (item.state === 'sending' && this.waiting.get(item.cmid) === item) this.fail(item);
    }, this.timeoutMs);
    return true;
  }

  /** Sends again everything still waiting (after a (re)subscribe). */
  flush() {
    this.items().forEach((item) => {
      if (item.state === 'sending') this.send(item);
    });
  }

  /**
   * The server has the message (an `ack`, or the event that carries its
   * client_msg_id): it leaves the outbox. Returns the item, or null when the
   * id is not ours or was already acknowledged.
   */
  acked(cmid, seq) {
    const item = this.get(cmid);
    if (!item) return null;
    this.clearTimer(item.timer);
    this.waiting.delete(cmid);
    item.seq = seq == null ? null : seq;
    this.setState(item, 'sent');
    return item;
  }

  /**
   * An `error` frame whose ref is one of ours. `overloaded` stored nothing
   * and asks to come back: the item stays sending and goes out again after
   * `retryAfterMs` (see `retryDelay`).
   * Any other code: that item failed.
   */
  refused(ref, code, retryAfterMs) {
    const item = this.get(ref);
    if (!item) return item;
    if (code === 'overloaded') this.retryLater(item, retryAfterMs);
    else this.fail(item);
    return item;
  }

  /** Sends the item again after about `ms` (default 1 s). */
  retryLater(item, ms) {
    this.clearTimer(item.timer);
    item.timer = this.setTimer(() => {
      if (item.state === 'sending' && this.waiting.get(item.cmid) === item) this.send(item);
    }, retryDelay(ms));
    this.setState(item, 'sending');
  }

  fail(item) {
    this.clearTimer(item.timer);
    item.timer = null;
    this.setState(item, 'failed');
  }

  /** Forgets everything (signed out). */
  clear() {
    this.waiting.forEach((item) => this.clearTimer(item.timer));
    this.waiting.clear();
  }

  setState(item, state) {
    item.state = state;
    this.onChange(item);
  }
}

export class Feed {
  constructor() {
    this.reset(null);
  }

  /** Starts following another conversation (or none). */
  reset(conversationId) {
    this.conversationId = conversationId;
    this.lastSeq = 0;
    this.seen = new Set();
    this.subscribed = false;
  }

  /**
   * True when `ev` belongs to this conversation and has not been shown yet;
   * the cursor then moves past it.
   */
  accept(ev) {
    if (!ev || ev.conversation_id !== this.conversationId || this.seen.has(ev.seq)) return false;
    this.seen.add(ev.seq);
    if (ev.seq > this.lastSeq) this.lastSeq = ev.seq;
    return true;
  }

  /**
   * An acknowledged message of ours is shown at `seq`, but the cursor does
   * not move: an earlier event may still be on its way, and resubscribing
   * from here must not skip it.
   */
  claim(seq) {
    if (seq != null) this.seen.add(seq);
  }

  /** The frame that (re)subscribes from the cursor, or null with no conversation. */
  subscribeFrame() {
    if (!this.conversationId) return null;
    this.subscribed = false;
    return { type: 'subscribe', conversation_id: this.conversationId, since: this.lastSeq, ref: 'sub' };
  }

  /** A `subscribed` frame: true when it is for this conversation. */
  confirm(conversationId) {
    if (conversationId !== this.conversationId || !this.conversationId) return false;
    this.subscribed = true;
    return true;
  }

  /**
   * The server's log is behind our cursor (a restored database): start over
   * from the beginning, already-shown seqs stay deduplicated.
   */
  rewind() {
    this.lastSeq = 0;
  }
}
