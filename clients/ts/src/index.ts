// Edgeref's program API for TypeScript and JavaScript (docs/clients.md).
//
// `schema.ts` is generated from edge/api/openapi.json by openapi-typescript
// (`make clients/ts/src/schema.ts`); openapi-fetch turns it into a typed fetch
// client. This file is the thin layer on top: the API key, retries on 429/503
// honouring Retry-After, typed errors (422 naming the field, 409 idempotency
// conflict, network failure), cursor iteration. It runs on any `fetch`: the
// global one (Node ≥ 18, browsers, Workers) or a service binding's.
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths } from './schema.js';
export type Schemas = components['schemas'];
export type Customer = Schemas['Customer'];
export type Transaction = Schemas['Transaction'];

/** A fetch: `globalThis.fetch`, or a service binding's (`(r) => env.EDGEREF.fetch(r)`). */
export type Fetch = (request: Request, init?: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** A program API key (`Authorization: Bearer <key>`). */
  apiKey: string;
  /** Where Edgeref is served. Over a service binding any origin works: the binding routes, not DNS. */
  baseUrl?: string;
  fetch?: Fetch;
  /** Retries of a 429 or 503 answer (default 2); 0 turns retrying off. */
  retries?: number;
  /** Longest wait before a retry, in ms (default 30 000): a longer Retry-After is not waited for. */
  maxRetryDelayMs?: number;
  /** For tests: how to wait. */
  sleep?: (ms: number) => Promise<void>;
}

/** The API's error object `{"error": {code, message, field?}}` as a thrown error, with its status. */
export class EdgerefError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  /** Retry-After in seconds (429, 503). */
  readonly retryAfter: number | null;
  constructor(status: number, code: string, message: string, field: string | null, retryAfter: number | null) {
    super(message);
    this.name = 'EdgerefError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

/** 422: `field` names the invalid field. */
export class ValidationError extends EdgerefError {
  override name = 'ValidationError';
}

/** 409 on createTransaction: this idempotency key was used for a different transaction. */
export class IdempotencyConflictError extends EdgerefError {
  override name = 'IdempotencyConflictError';
}

/** No answer from Edgeref (connection, DNS, the binding's fetch threw), or one that is not the API's. */
export class NetworkError extends Error {
  override name = 'NetworkError';
  readonly status: number | null;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, { cause: options?.cause });
    this.status = options?.status ?? null;
  }
}

const RETRIED = new Set([429, 503]);

/** Seconds of a Retry-After header (delta-seconds or an HTTP date), or null. */
export function retryAfterSeconds(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}

/**
 * Wraps a fetch so 429 and 503 answers are retried after their Retry-After
 * (or a short backoff without one). Safe for every program-API call: Edgeref
 * writes nothing for a 429 or 503, and transactions are idempotent on their key.
 */
export function retryingFetch(inner: Fetch, { retries = 2, maxRetryDelayMs = 30_000, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) } = {}): Fetch {
  return async (request, init) => {
    let current = request;
    for (let attempt = 0; ; attempt++) {
      // A body can be read once: keep a copy for the next attempt before sending.
      const spare = attempt < retries ? current.clone() : null;
      let response: Response;
      try {
        response = await inner(current, init);
      } catch (cause) {
        throw new NetworkError(`could not reach Edgeref: ${String((cause as Error)?.message ?? cause)}`, { cause });
      }
      if (!spare || !RETRIED.has(response.status)) return response;
      const after = retryAfterSeconds(response.headers.get('retry-after'));
      const wait = after === null ? 250 * 2 ** attempt : after * 1000;
      if (wait > maxRetryDelayMs) return response;
      await response.body?.cancel();
      await sleep(wait);
      current = spare;
    }
  };
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a 2xx answer, or the matching error thrown. */
async function unwrap<T>(call: Promise<Answer<T>>, idempotentCreate = false): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok && data !== undefined) return data;
  const body = (error as { error?: { code?: unknown; message?: unknown; field?: unknown } } | undefined)?.error;
  if (!body || typeof body.code !== 'string') {
    throw new NetworkError(`HTTP ${response.status} without the API's error object`, { status: response.status });
  }
  const args = [response.status, body.code, String(body.message ?? ''), typeof body.field === 'string' ? body.field : null, retryAfterSeconds(response.headers.get('retry-after'))] as const;
  if (response.status === 422) throw new ValidationError(...args);
  if (response.status === 409 && idempotentCreate) throw new IdempotencyConflictError(...args);
  throw new EdgerefError(...args);
}

export interface ListQuery {
  limit?: number;
  cursor?: string;
}

export interface RewardQuery extends ListQuery {
  status?: 'pending' | 'approved' | 'rejected' | 'reversed' | 'paid';
  customer?: string;
  flagged?: boolean;
}

/** A client for one program's API. `raw` is the typed openapi-fetch client for every operation. */
export function createEdgerefClient(options: ClientOptions) {
  const fetch = retryingFetch(options.fetch ?? ((r, i) => globalThis.fetch(r, i)), options);
  const raw = createClient<paths>({
    baseUrl: (options.baseUrl ?? 'https://edgeref').replace(/\/$/, ''),
    fetch: (request: Request) => fetch(request),
    headers: { authorization: `Bearer ${options.apiKey}` },
  });

  /** Walks a list by `next_cursor`, one page at a time. */
  async function* pages<T>(page: (cursor: string | undefined) => Promise<{ data: T[]; next_cursor?: string | null }>, cursor?: string): AsyncGenerator<T> {
    for (;;) {
      const { data, next_cursor: next } = await page(cursor);
      yield* data;
      if (!next || next === cursor) return;
      cursor = next;
    }
  }

  return {
    raw,
    me: () => unwrap(raw.GET('/v1/me')),

    createCustomer: (body: Schemas['CustomerCreate']) => unwrap(raw.POST('/v1/customers', { body })),
    getCustomer: (key: string) => unwrap(raw.GET('/v1/customers/{key}', { params: { path: { key } } })),
    updateCustomer: (key: string, body: Schemas['CustomerPatch']) => unwrap(raw.PATCH('/v1/customers/{key}', { params: { path: { key } }, body })),
    deleteCustomer: (key: string) => unwrap(raw.DELETE('/v1/customers/{key}', { params: { path: { key } } })),
    listCustomers: (query: ListQuery = {}) => unwrap(raw.GET('/v1/customers', { params: { query } })),
    /** Every customer: `for await (const c of edgeref.customers()) …`. */
    customers: (query: ListQuery = {}) => pages((cursor) => unwrap(raw.GET('/v1/customers', { params: { query: { ...query, cursor } } })), query.cursor),
    listReferrals: (key: string, query: ListQuery = {}) => unwrap(raw.GET('/v1/customers/{key}/referrals', { params: { path: { key }, query } })),
    referrals: (key: string, query: ListQuery = {}) =>
      pages((cursor) => unwrap(raw.GET('/v1/customers/{key}/referrals', { params: { path: { key }, query: { ...query, cursor } } })), query.cursor),
    customerStats: (key: string) => unwrap(raw.GET('/v1/customers/{key}/stats', { params: { path: { key } } })),
    creditCustomer: (key: string, body: Schemas['Credit']) => unwrap(raw.POST('/v1/customers/{key}/credit', { params: { path: { key } }, body })),

    /**
     * `body.key` is the idempotency key (your order id): the same body again answers
     * with the first transaction; the same key for a different sale throws IdempotencyConflictError.
     */
    createTransaction: (body: Schemas['TransactionCreate']) => unwrap(raw.POST('/v1/transactions', { body }), true),
    getTransaction: (key: string) => unwrap(raw.GET('/v1/transactions/{key}', { params: { path: { key } } })),
    deleteTransaction: (key: string) => unwrap(raw.DELETE('/v1/transactions/{key}', { params: { path: { key } } })),
    listTransactions: (query: ListQuery & { customer?: string } = {}) => unwrap(raw.GET('/v1/transactions', { params: { query } })),
    transactions: (query: ListQuery & { customer?: string } = {}) =>
      pages((cursor) => unwrap(raw.GET('/v1/transactions', { params: { query: { ...query, cursor } } })), query.cursor),

    /** Rewards, oldest first: `status`, `customer`, `flagged` filter (the review queue: pending and flagged). */
    listRewards: (query: RewardQuery = {}) => unwrap(raw.GET('/v1/rewards', { params: { query } })),
    rewards: (query: RewardQuery = {}) => pages((cursor) => unwrap(raw.GET('/v1/rewards', { params: { query: { ...query, cursor } } })), query.cursor),
    approveReward: (id: string) => unwrap(raw.POST('/v1/rewards/{reward_id}/approve', { params: { path: { reward_id: id } } })),
    rejectReward: (id: string, reason: string) => unwrap(raw.POST('/v1/rewards/{reward_id}/reject', { params: { path: { reward_id: id } }, body: { reason } })),
    /** Marks the customer's approved rewards as paid, oldest first, up to `amount` (default: all). */
    createPayout: (body: Schemas['PayoutCreate']) => unwrap(raw.POST('/v1/payouts', { body })),
    listPayouts: (query: ListQuery = {}) => unwrap(raw.GET('/v1/payouts', { params: { query } })),
    listPayables: (query: ListQuery = {}) => unwrap(raw.GET('/v1/payables', { params: { query } })),
  };
}

export type EdgerefClient = ReturnType<typeof createEdgerefClient>;

/** A fresh idempotency key for a transaction without a natural one (prefer your order or invoice id). */
export function idempotencyKey(prefix = 'txn'): string {
  return `${prefix}_${crypto.randomUUID()}`;
}
