// Where the widget frame keeps its session token, and how it talks to the
// loader (widget.js) on the exchange's page.
//
// Tokens are kept per origin (this frame's storage). Where the browser
// refuses storage to a third-party frame (private modes, strict tracking
// protection), the loader on the host page keeps the token for us in the
// host's storage, so a reload does not lose the chat.

export const framed = parent !== window;

// The page that frames us, for postMessage targets (not Firefox: '*').
const parentOrigin = (function () {
  try {
    if (location.ancestorOrigins && location.ancestorOrigins.length) return location.ancestorOrigins[0];
    if (document.referrer) return new URL(document.referrer).origin;
  } catch (_) { /* fall through */ }
  return '*';
})();

export function toParent(message) {
  if (framed) parent.postMessage(message, parentOrigin);
}

export const localOk = (function () {
  try {
    localStorage.setItem('trustdesk.probe', '1');
    localStorage.removeItem('trustdesk.probe');
    return true;
  } catch (_) {
    return false; // third-party storage blocked
  }
})();

const memory = {};

export const storage = {
  get(k) { return localOk ? localStorage.getItem(k) : (memory[k] || null); },
  set(k, v) {
    if (localOk) localStorage.setItem(k, v);
    else {
      memory[k] = v;
      toParent({ type: 'trustdesk:store', key: k, value: v });
    }
  },
  del(k) {
    if (localOk) localStorage.removeItem(k);
    else {
      delete memory[k];
      toParent({ type: 'trustdesk:store', key: k, value: null });
    }
  },
  // The tokens the loader hands over: only ours, never overwriting one we
  // already have.
  adopt(values) {
    Object.keys(values).forEach((k) => {
      const v = values[k];
      if (k.indexOf('trustdesk.token.') === 0 && typeof v === 'string' && !(k in memory)) memory[k] = v;
    });
  },
};
