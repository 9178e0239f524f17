/*! trustdesk chat widget loader. Embed on your site:
 *   <script src="https://desk.example/widget.js" data-locale="zh" async></script>
 * Optional: data-user-id + data-user-hash (hex HMAC-SHA256 of the user id with
 * the identity secret, computed by your backend) for a verified customer,
 * data-user-name, data-user-email.
 * The chat itself runs in an iframe served by trustdesk (/widget/frame), so
 * the host page's styles and scripts never touch it, and it never touches
 * them. This file only draws the launcher button and the frame around it;
 * it sets styles through the CSSOM, so a host page's CSP needs nothing but
 * this script's origin in script-src and frame-src.
 */
(function () {
  'use strict';
  if (window.trustdesk && window.trustdesk.loaded) return;

  var script = document.currentScript;
  if (!script) {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    script = all[all.length - 1];
  }
  if (!script || !script.src) return;
  var base = new URL(script.src, location.href);
  var origin = base.origin;
  var ds = script.dataset || {};

  function lang() {
    var tags = [ds.locale, document.documentElement.lang, navigator.language];
    for (var i = 0; i < tags.length; i++) {
      if (tags[i]) return String(tags[i]).toLowerCase().indexOf('zh') === 0 ? 'zh' : 'en';
    }
    return 'en';
  }
  var L = lang();
  var TEXT = {
    en: { open: 'Chat with support', close: 'Close chat', frame: 'Customer support chat', unread: 'unread messages' },
    zh: { open: '联系客服', close: '关闭聊天窗口', frame: '在线客服聊天', unread: '条未读消息' },
  }[L];

  // The frame learns its language from the URL fragment. The verified
  // identity never goes into a URL (history, logs, screenshots of the
  // address): it is handed to the frame by postMessage, to trustdesk's
  // origin only, once the frame says it is ready.
  var params = new URLSearchParams();
  params.set('lang', L);
  var identity = ds.userId && ds.userHash
    ? {
        user_id: ds.userId,
        user_hash: ds.userHash,
        name: ds.userName || undefined,
        email: ds.userEmail || undefined,
      }
    : null;
  var frameUrl = origin + '/widget/frame#' + params.toString();

  var Z = '2147483000';
  var host = document.createElement('div');
  host.setAttribute('data-trustdesk', 'widget');
  var hs = host.style;
  hs.all = 'initial';
  hs.position = 'fixed';
  hs.zIndex = Z;
  hs.right = '0';
  hs.bottom = '0';
  hs.width = '0';
  hs.height = '0';
  var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;

  var SVG = 'http://www.w3.org/2000/svg';
  function icon(paths) {
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '26');
    svg.setAttribute('height', '26');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    paths.forEach(function (d) {
      var p = document.createElementNS(SVG, 'path');
      p.setAttribute('d', d);
      p.setAttribute('fill', 'none');
      p.setAttribute('stroke', 'currentColor');
      p.setAttribute('stroke-width', '2');
      p.setAttribute('stroke-linecap', 'round');
      p.setAttribute('stroke-linejoin', 'round');
      svg.appendChild(p);
    });
    return svg;
  }
  var chatIcon = icon(['M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z', 'M8.5 12h.01M12 12h.01M15.5 12h.01']);
  var closeIcon = icon(['M6 6l12 12', 'M18 6L6 18']);

  var button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('aria-label', TEXT.open);
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('part', 'launcher');
  var bs = button.style;
  bs.position = 'fixed';
  bs.right = '20px';
  bs.bottom = '20px';
  bs.width = '58px';
  bs.height = '58px';
  bs.borderRadius = '50%';
  bs.border = '0';
  bs.padding = '0';
  bs.margin = '0';
  bs.cursor = 'pointer';
  bs.background = '#1d4ed8';
  bs.color = '#ffffff';
  bs.boxShadow = '0 6px 20px rgba(15, 23, 42, 0.35)';
  bs.display = 'flex';
  bs.alignItems = 'center';
  bs.justifyContent = 'center';
  bs.zIndex = Z;
  bs.outlineOffset = '3px';
  button.appendChild(chatIcon);

  var badge = document.createElement('span');
  var gs = badge.style;
  gs.position = 'absolute';
  gs.top = '-2px';
  gs.right = '-2px';
  gs.minWidth = '20px';
  gs.height = '20px';
  gs.padding = '0 5px';
  gs.boxSizing = 'border-box';
  gs.borderRadius = '10px';
  gs.background = '#dc2626';
  gs.color = '#fff';
  gs.font = '600 12px/20px system-ui, sans-serif';
  gs.textAlign = 'center';
  gs.display = 'none';
  button.appendChild(badge);

  root.appendChild(button);

  var frame = null;
  var open = false;

  function phone() {
    return window.innerWidth < 520;
  }

  function layout() {
    if (!frame) return;
    var fs = frame.style;
    if (phone()) {
      fs.right = '0';
      fs.bottom = '0';
      fs.width = '100%';
      fs.height = '100%';
      fs.borderRadius = '0';
      bs.display = open ? 'none' : 'flex';
    } else {
      fs.right = '20px';
      fs.bottom = '90px';
      fs.width = '380px';
      fs.height = 'min(640px, calc(100vh - 110px))';
      fs.borderRadius = '14px';
      bs.display = 'flex';
    }
  }

  function makeFrame() {
    frame = document.createElement('iframe');
    frame.src = frameUrl;
    frame.title = TEXT.frame;
    frame.setAttribute('part', 'frame');
    var fs = frame.style;
    fs.position = 'fixed';
    fs.border = '0';
    fs.margin = '0';
    fs.padding = '0';
    fs.background = '#ffffff';
    fs.boxShadow = '0 12px 40px rgba(15, 23, 42, 0.35)';
    fs.zIndex = Z;
    fs.colorScheme = 'normal';
    fs.display = 'none';
    layout();
    root.appendChild(frame);
  }

  var frameReady = false; // the frame said hello: its origin is trustdesk's
  function tell(message) {
    if (frame && frameReady && frame.contentWindow) frame.contentWindow.postMessage(message, origin);
  }

  function setOpen(value) {
    if (value && !frame) makeFrame();
    open = value;
    frame.style.display = open ? 'block' : 'none';
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
    button.setAttribute('aria-label', open ? TEXT.close : TEXT.open);
    button.replaceChild(open ? closeIcon : chatIcon, button.firstChild);
    layout();
    if (open) {
      setUnread(0);
      frame.focus();
    }
    tell({ type: 'trustdesk:visible', visible: open });
    if (!open) button.focus();
  }

  function setUnread(n) {
    badge.textContent = n > 99 ? '99+' : String(n);
    badge.style.display = n > 0 && !open ? 'block' : 'none';
    button.setAttribute('aria-label', (open ? TEXT.close : TEXT.open) + (n > 0 && !open ? ' (' + n + ' ' + TEXT.unread + ')' : ''));
  }

  // Browsers that refuse storage to third-party frames get the chat token
  // kept here, in this page's storage, under this trustdesk origin.
  var PREFIX = 'trustdesk:' + origin + ':';
  function keep(key, value) {
    if (typeof key !== 'string' || key.indexOf('trustdesk.token.') !== 0 || key.length > 200) return;
    try {
      if (typeof value === 'string' && value.length < 512) localStorage.setItem(PREFIX + key, value);
      else if (value === null) localStorage.removeItem(PREFIX + key);
    } catch (_) { /* no storage here either: the chat lasts as long as the page */ }
  }
  function kept() {
    var values = {};
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var k = localStorage.key(i);
        if (k && k.indexOf(PREFIX) === 0) values[k.slice(PREFIX.length)] = localStorage.getItem(k);
      }
    } catch (_) { /* none */ }
    return values;
  }

  button.addEventListener('click', function () {
    setOpen(!open);
  });

  window.addEventListener('message', function (ev) {
    if (!frame || ev.origin !== origin || ev.source !== frame.contentWindow) return;
    var data = ev.data || {};
    if (data.type === 'trustdesk:ready') {
      frameReady = true;
      tell({ type: 'trustdesk:identity', identity: identity });
      tell({ type: 'trustdesk:storage', values: kept() });
      tell({ type: 'trustdesk:visible', visible: open });
    } else if (data.type === 'trustdesk:store') keep(data.key, data.value);
    else if (data.type === 'trustdesk:close') setOpen(false);
    else if (data.type === 'trustdesk:unread') setUnread(Number(data.count) || 0);
  });
  window.addEventListener('resize', layout);

  function mount() {
    (document.body || document.documentElement).appendChild(host);
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);

  window.trustdesk = {
    loaded: true,
    open: function () { setOpen(true); },
    close: function () { if (frame) setOpen(false); },
    toggle: function () { setOpen(!open); },
  };
})();
