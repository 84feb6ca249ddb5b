// Records an order in Edgeref from another Worker. The service binding routes
// the request straight to the Edgeref Worker; the host name is only a placeholder.
export default {
  async fetch(request, env) {
    if (request.method !== 'POST') return new Response('POST an order', { status: 405 });
    const order = await request.json(); // {id, customerId, total, currency}
    const response = await env.EDGEREF.fetch('https://edgeref/v1/transactions', {
      method: 'POST',
      headers: { authorization: `Bearer ${env.EDGEREF_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: order.id, customer: { key: order.customerId }, amount: order.total, currency: order.currency }),
    });
    // 201 created, 200 a retry of the same order, 4xx with {"error": …} otherwise.
    return new Response(await response.text(), { status: response.status, headers: { 'content-type': 'application/json' } });
  },
};
