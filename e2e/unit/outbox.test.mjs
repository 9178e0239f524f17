// Unit tests of the shared protocol client's outbox and feed
// (crates/trustdesk-server/web/lib/outbox.js), run by Node without a
// browser: `node --test e2e/unit/`. The browser tests (chat.spec.mjs) drive
// the same module through the widget and the console end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientMsgId, Feed, Outbox } from '../../crates/trustdesk-server/web/lib/outbox.js';

// A socket that records frames, with a switch for being offline, and timers
// the test fires by hand.
function harness({ online = true, target = () => 'c1' } = {}) {
  const sent = [];
  const timers = new Map();
  let nextTimer = 1;
  const changes = [];
  const socket = { online };
  const outbox = new Outbox({
    send: (frame) => {
      if (!socket.online) return false;
      sent.push(frame);
      return true;
    },
    target,
    onChange: (item) => changes.push([item.cmid, item.state]),
    setTimer: (f) => {
      const id = nextTimer++;
      timers.set(id, f);
      return id;
    },
    clearTimer: (id) => timers.delete(id),
  });
  const fireTimers = () => {
    const due = Array.from(timers.values());
    timers.clear();
    due.forEach((f) => f());
  };
  return { outbox, sent, socket, changes, timers, fireTimers };
}

test('a message is sent once with its id and leaves the outbox on its ack', () => {
  const h = harness();
  const item = h.outbox.add({ cmid: 'a-1', body: 'hello', at: 1 });
  assert.deepEqual(h.sent, [{ type: 'send', conversation_id: 'c1', client_msg_id: 'a-1', body: 'hello', ref: 'a-1' }]);
  assert.equal(item.state, 'sending');
  assert.equal(h.outbox.acked('a-1', 7), item);
  assert.equal(item.state, 'sent');
  assert.equal(item.seq, 7);
  assert.equal(h.outbox.items().length, 0);
  assert.equal(h.timers.size, 0, 'the ack timer is cancelled');
  // a second ack (the echoed event) is not ours any more
  assert.equal(h.outbox.acked('a-1', 7), null);
});

test('an internal note says so on the wire; a reply does not carry the flag', () => {
  const h = harness();
  h.outbox.add({ cmid: 'n', body: 'note', internal: true });
  h.outbox.add({ cmid: 'r', body: 'reply', internal: false });
  assert.equal(h.sent[0].internal, true);
  assert.equal('internal' in h.sent[1], false);
});

test('offline messages wait and go out in order, with the same ids, on flush', () => {
  const h = harness({ online: false });
  h.outbox.add({ cmid: 'm1', body: 'one' });
  h.outbox.add({ cmid: 'm2', body: 'two' });
  assert.equal(h.sent.length, 0);
  assert.equal(h.timers.size, 0, 'no ack deadline for a frame never sent');
  h.socket.online = true;
  h.outbox.flush();
  assert.deepEqual(h.sent.map((f) => f.client_msg_id), ['m1', 'm2']);
  // a reconnect before the acks sends both again, same ids (stored once)
  h.outbox.flush();
  assert.deepEqual(h.sent.map((f) => f.client_msg_id), ['m1', 'm2', 'm1', 'm2']);
});

test('a message waits while its conversation is not the one subscribed', () => {
  let ready = null;
  const h = harness({ target: (item) => (ready === item.conversationId ? ready : null) });
  h.outbox.add({ cmid: 'x', body: 'for c2', conversationId: 'c2' });
  assert.equal(h.sent.length, 0);
  ready = 'c1';
  h.outbox.flush();
  assert.equal(h.sent.length, 0, 'never sent to another conversation');
  ready = 'c2';
  h.outbox.flush();
  assert.equal(h.sent[0].conversation_id, 'c2');
});

test('no ack in time fails the message; a retry sends it again and can succeed', () => {
  const h = harness();
  const item = h.outbox.add({ cmid: 't', body: 'slow' });
  h.fireTimers();
  assert.equal(item.state, 'failed');
  assert.equal(h.outbox.items().length, 1, 'a failed message is kept for the retry');
  h.outbox.send(item);
  assert.equal(item.state, 'sending');
  assert.equal(h.sent.length, 2);
  h.outbox.acked('t', 3);
  h.fireTimers();
  assert.equal(item.state, 'sent', 'a late timer does not undo the ack');
});

test('an error frame fails only the message it refers to', () => {
  const h = harness();
  const a = h.outbox.add({ cmid: 'a', body: 'a' });
  const b = h.outbox.add({ cmid: 'b', body: 'b' });
  assert.equal(h.outbox.refused('b'), b);
  assert.equal(b.state, 'failed');
  assert.equal(a.state, 'sending');
  assert.equal(h.outbox.refused('sub'), null);
  // a failed message is not resent by a flush: only the user's retry does
  h.outbox.flush();
  assert.deepEqual(h.sent.map((f) => f.client_msg_id), ['a', 'b', 'a']);
});

test('every state change is reported for redrawing', () => {
  const h = harness();
  h.outbox.add({ cmid: 's', body: 's' });
  h.outbox.refused('s');
  h.outbox.send(h.outbox.get('s'));
  h.outbox.acked('s', 1);
  assert.deepEqual(h.changes.map(([, state]) => state), ['sending', 'failed', 'sending', 'sent']);
});

test('client message ids are distinct and within the protocol alphabet', () => {
  const ids = new Set();
  for (let i = 0; i < 2000; i++) {
    const id = clientMsgId('w');
    assert.match(id, /^[A-Za-z0-9\-_.:]{1,64}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 2000);
});

test('the feed shows each event once, in one conversation, and resubscribes from its cursor', () => {
  const feed = new Feed();
  assert.equal(feed.subscribeFrame(), null, 'no conversation, nothing to subscribe');
  feed.reset('c1');
  assert.equal(feed.accept({ conversation_id: 'c1', seq: 1 }), true);
  assert.equal(feed.accept({ conversation_id: 'c1', seq: 3 }), true);
  assert.equal(feed.accept({ conversation_id: 'c1', seq: 3 }), false, 'a replayed event is not shown twice');
  assert.equal(feed.accept({ conversation_id: 'c2', seq: 9 }), false, 'another conversation');
  assert.equal(feed.accept({ conversation_id: 'c1', seq: 2 }), true, 'a late earlier event still shows');
  assert.deepEqual(feed.subscribeFrame(), { type: 'subscribe', conversation_id: 'c1', since: 3, ref: 'sub' });
  assert.equal(feed.subscribed, false);
  assert.equal(feed.confirm('c2'), false);
  assert.equal(feed.confirm('c1'), true);
  assert.equal(feed.subscribed, true);
});

test('an acknowledged message does not move the cursor past events still on their way', () => {
  const feed = new Feed();
  feed.reset('c1');
  feed.accept({ conversation_id: 'c1', seq: 4 });
  feed.claim(6); // our message, acked at 6; event 5 not seen yet
  assert.equal(feed.subscribeFrame().since, 4);
  assert.equal(feed.accept({ conversation_id: 'c1', seq: 6 }), false, 'its echo is not shown again');
  assert.equal(feed.accept({ conversation_id: 'c1', seq: 5 }), true);
});

test('a cursor ahead of the server rewinds to the start without showing anything twice', () => {
  const feed = new Feed();
  feed.reset('c1');
  [1, 2, 3].forEach((seq) => feed.accept({ conversation_id: 'c1', seq }));
  feed.rewind();
  assert.equal(feed.subscribeFrame().since, 0);
  assert.equal(feed.accept({ conversation_id: 'c1', seq: 2 }), false);
  feed.reset('c2');
  assert.equal(feed.subscribeFrame().since, 0);
  assert.equal(feed.accept({ conversation_id: 'c2', seq: 2 }), true, 'a new conversation starts clean');
});

test('an overloaded refusal keeps the message and sends it again with the same id', () => {
  const { outbox, sent, timers, fireTimers } = harness();
  const item = outbox.add({ cmid: 'm-1', body: 'hi' });
  assert.equal(sent.length, 1);
  outbox.refused('m-1', 'overloaded', 500);
  assert.equal(item.state, 'sending', 'not failed: the server asked to retry');
  assert.equal(timers.size, 1, 'one retry scheduled, the ack timeout replaced');
  fireTimers();
  assert.equal(sent.length, 2);
  assert.equal(sent[1].client_msg_id, 'm-1');
  assert.equal(outbox.acked('m-1', 7), item);
  assert.equal(item.state, 'sent');
});

test('any other refusal fails the message', () => {
  const { outbox } = harness();
  const item = outbox.add({ cmid: 'm-2', body: 'hi' });
  outbox.refused('m-2', 'blocked');
  assert.equal(item.state, 'failed');
});
