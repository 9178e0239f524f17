// Unit tests of the console's QA helpers (crates/trustdesk-server/web/console/qa.js)
// that need no browser: how a review's percentage is shown. The numbers are
// docs/qa.md's worked example; the browser test (chat.spec.mjs) shows the
// same figures coming back from the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_ID, percent1 } from '../../crates/trustdesk-server/web/console/qa.js';

test('a percentage is shown with one decimal', () => {
  assert.equal(percent1((100 * 11) / 14), '78.6 %');
  assert.equal(percent1((100 * 11.5) / 14), '82.1 %');
  assert.equal(percent1((100 * 8.5) / 14), '60.7 %');
  assert.equal(percent1(100), '100.0 %');
  assert.equal(percent1(0), '0.0 %');
});

test('no percentage is a dash', () => {
  assert.equal(percent1(null), '—');
  assert.equal(percent1(undefined), '—');
});

test('the built-in card id is the documented one', () => {
  assert.equal(BUILTIN_ID, '7d0c6a3e-5b1f-4c2a-9e8d-1f0000000001');
});
