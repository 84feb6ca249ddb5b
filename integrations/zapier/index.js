// Edgeref's Zapier app. Triggers are REST hooks over Edgeref's webhooks API
// (subscribe = create a webhook marked source "zapier", unsubscribe = delete
// it); samples come from GET /v1/events; actions create customers and
// transactions. Authentication is a program API key.
const zapier = require('zapier-platform-core');

const EVENTS = ['customer.created', 'customer.updated', 'customer.deleted', 'customer.credited', 'transaction.created', 'transaction.deleted'];
const base = (bundle) => String(bundle.authData.base_url).replace(/\/+$/, '');

const authentication = {
  type: 'custom',
  fields: [
    { key: 'base_url', label: 'Edgeref URL', required: true, type: 'string', helpText: 'Where your Edgeref Worker runs, e.g. https://edgeref.example.workers.dev' },
    { key: 'api_key', label: 'API Key', required: true, type: 'password', helpText: 'A program API key (erk_…) from Integration → API keys.' },
  ],
  test: async (z, bundle) => (await z.request({ url: `${base(bundle)}/v1/me` })).data,
  connectionLabel: (z, bundle) => bundle.inputData.program.name,
};

const addApiKey = (request, z, bundle) => {
  if (bundle.authData && bundle.authData.api_key) request.headers.Authorization = `Bearer ${bundle.authData.api_key}`;
  return request;
};

/** Edgeref answers errors as {"error": {"code", "message", "field"}}: show that message. */
const explainErrors = (response, z) => {
  if (response.status >= 400) {
    let error = {};
    try { error = JSON.parse(response.content).error || {}; } catch (e) { /* not JSON */ }
    const where = error.field ? ` (${error.field})` : '';
    throw new z.errors.Error(`${error.message || `HTTP ${response.status}`}${where}`, error.code || 'http_error', response.status);
  }
  return response;
};

/** A trigger item: the event's data, with the event id so Zapier dedupes correctly. */
const item = (event) => ({ ...event.data, id: event.id, event_type: event.type, occurred_at: event.timestamp });

const SAMPLES = {
  customer: { id: 'msg_sample', key: 'user_42', email: 'alice@example.com', name: 'Alice', surname: null, referral_code: 'k7m2xq9p', referral_link: 'https://shop.example/?ref=k7m2xq9p', short_link: 'https://shop.example/_edgeref/r/k7m2xq9p', referred_by: null, referrals_count: 2, balance: 490 },
  transaction: { id: 'msg_sample', key: 'order_1001', customer: { key: 'user_43' }, referring_customer: { key: 'user_42' }, amount: 4900, currency: 'EUR', reward: 490 },
};

const trigger = (event) => {
  const [noun, verb] = event.split('.');
  const label = `${noun[0].toUpperCase()}${noun.slice(1)} ${verb[0].toUpperCase()}${verb.slice(1)}`;
  return {
    key: event.replace('.', '_'),
    noun: noun[0].toUpperCase() + noun.slice(1),
    display: { label, description: `Triggers when Edgeref sends ${event}.` },
    operation: {
      type: 'hook',
      performSubscribe: async (z, bundle) => (await z.request({
        url: `${base(bundle)}/v1/webhooks`,
        method: 'POST',
        body: { name: `Zapier: ${event}`, url: bundle.targetUrl, events: [event], source: 'zapier' },
      })).data,
      performUnsubscribe: async (z, bundle) => (await z.request({ url: `${base(bundle)}/v1/webhooks/${bundle.subscribeData.id}`, method: 'DELETE' })).data,
      perform: (z, bundle) => [item(bundle.cleanedRequest)],
      performList: async (z, bundle) => (await z.request({ url: `${base(bundle)}/v1/events`, params: { type: event, limit: 3 } })).data.data.map(item),
      sample: { ...SAMPLES[noun], event_type: event },
    },
  };
};

const createCustomer = {
  key: 'customer',
  noun: 'Customer',
  display: { label: 'Create Customer', description: 'Creates a referring customer, or a referred one when you give who referred them.' },
  operation: {
    inputFields: [
      { key: 'key', label: 'Customer ID', required: true, helpText: 'Your own id for the customer.' },
      { key: 'email', label: 'Email', required: true },
      { key: 'name', label: 'First name' },
      { key: 'surname', label: 'Last name' },
      { key: 'referring_customer_key', label: 'Referred by (customer ID)' },
      { key: 'referring_customer_email', label: 'Referred by (email)' },
    ],
    perform: async (z, bundle) => {
      const d = bundle.inputData;
      const body = { key: d.key, email: d.email };
      if (d.name) body.name = d.name;
      if (d.surname) body.surname = d.surname;
      if (d.referring_customer_key) body.referring_customer = { key: d.referring_customer_key };
      else if (d.referring_customer_email) body.referring_customer = { email: d.referring_customer_email };
      return (await z.request({ url: `${base(bundle)}/v1/customers`, method: 'POST', body })).data;
    },
    sample: SAMPLES.customer,
  },
};

const createTransaction = {
  key: 'transaction',
  noun: 'Transaction',
  display: { label: 'Create Transaction', description: 'Records a sale; the referrer earns their reward. The ID makes retries safe.' },
  operation: {
    inputFields: [
      { key: 'key', label: 'Transaction ID', required: true, helpText: 'Your order or invoice id: sending it twice records one sale.' },
      { key: 'customer_key', label: 'Customer ID' },
      { key: 'customer_email', label: 'Customer email' },
      { key: 'amount', label: 'Amount (in cents)', required: true, type: 'integer' },
      { key: 'currency', label: 'Currency', required: true, default: 'EUR' },
      { key: 'product_id', label: 'Product ID' },
    ],
    perform: async (z, bundle) => {
      const d = bundle.inputData;
      const customer = d.customer_key ? { key: d.customer_key } : { email: d.customer_email };
      const body = { key: d.key, customer, amount: Number(d.amount), currency: d.currency };
      if (d.product_id) body.product_id = d.product_id;
      return (await z.request({ url: `${base(bundle)}/v1/transactions`, method: 'POST', body })).data;
    },
    sample: SAMPLES.transaction,
  },
};

const triggers = Object.fromEntries(EVENTS.map(trigger).map((t) => [t.key, t]));

module.exports = zapier.defineApp({
  version: require('./package.json').version,
  platformVersion: zapier.version,
  authentication,
  beforeRequest: [addApiKey],
  afterResponse: [explainErrors],
  triggers,
  creates: { [createCustomer.key]: createCustomer, [createTransaction.key]: createTransaction },
});
