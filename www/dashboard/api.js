// The dashboard speaks the same JSON API as everyone else; the session cookie
// authenticates it. A 401 anywhere means the session ended: sign in again.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `request failed (${status})`);
    this.status = status;
    this.field = body?.error?.field ?? null;
  }
}

export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return send(path, init);
}

/** POSTs CSV text (the customer import); answers like `api`. */
export function postCsv(path, text) {
  return send(path, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'text/csv; charset=utf-8' }, body: text });
}

async function send(path, init) {
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, { error: { message: 'Edgeref cannot be reached. Check your connection and retry.' } });
  }
  const data = await response.json().catch(() => null);
  if (response.status === 401 && !path.startsWith('/auth/')) {
    window.dispatchEvent(new CustomEvent('edgeref:session-ended'));
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** One page of a list: `GET path?limit=…&{params}&cursor=…` (no cursor: the first page). */
export const listPage = (path, { limit, ...params }, cursor) =>
  api('GET', `${path}?${new URLSearchParams({ limit, ...params, ...(cursor ? { cursor } : {}) })}`);

/** `/v1/programs/{id}` + rest, with the id escaped. */
export const programPath = (id, rest = '') => `/v1/programs/${encodeURIComponent(id)}${rest}`;
