// trustdesk: the REST half of the client, shared by the widget frame and the
// agent console. Every call carries the session's bearer token and no
// cookies; a network failure answers status 0 instead of throwing, so
// callers handle one shape: {status, data}.

/**
 * @param {object} opts
 * @param {() => (string|null)} opts.token the current session token.
 * @param {(path: string) => void} [opts.onUnauthorized] called on a 401 while
 *   a token was sent (the session ended elsewhere).
 */
export function createApi(opts) {
  const headersFor = (extra) => {
    const headers = Object.assign({ accept: 'application/json' }, extra);
    const token = opts.token();
    if (token) headers.authorization = 'Bearer ' + token;
    return headers;
  };

  async function call(path, init) {
    const hadToken = !!opts.token();
    let res;
    try {
      res = await fetch(path, Object.assign({ credentials: 'omit', cache: 'no-store' }, init));
    } catch (_) {
      return { status: 0, data: null };
    }
    let data = null;
    try { data = await res.json(); } catch (_) { /* no body */ }
    if (res.status === 401 && hadToken && opts.onUnauthorized) opts.onUnauthorized(path);
    return { status: res.status, data };
  }

  /** A JSON request: `body` undefined sends none. */
  function api(method, path, body) {
    const json = body !== undefined;
    return call(path, {
      method,
      headers: headersFor(json ? { 'content-type': 'application/json' } : {}),
      body: json ? JSON.stringify(body) : undefined,
    });
  }

  /** Uploads a file's bytes as the body (attachments take the name in the query). */
  api.upload = function (path, file) {
    return call(path + (path.includes('?') ? '&' : '?') + 'name=' + encodeURIComponent(file.name), {
      method: 'POST',
      headers: headersFor({ 'content-type': 'application/octet-stream' }),
      body: file,
    });
  };

  return api;
}

/** The message of an error answer, if the server gave one. */
export function errorMessage(r) {
  return (r && r.data && r.data.error && r.data.error.message) || null;
}

/** The code of an error answer, else its status. */
export function errorCode(r) {
  return (r && r.data && r.data.error && r.data.error.code) || (r ? r.status : 0);
}
