// Operations (docs/operations.md) against the real Worker: rotating SECRETS_KEY
// keeps sealed integration secrets, through SECRETS_KEY_PREVIOUS and the
// scheduled run's re-sealing. One D1 state, Workers restarted with new secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, createProgram, client, runCron, ADMIN_TOKEN } from './harness.mjs';
import * as stripe from './fixtures/stripe.mjs';

const OLD = 'old-secrets-key-0123456789abcdef';
const NEW = 'new-secrets-key-fedcba9876543210';

async function postStripe(worker, program, secret, evt) {
  const body = JSON.stringify(evt);
  const r = await fetch(`${worker.url}/integrations/stripe/${program.public_id}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': stripe.sign(secret, body) }, body });
  return r.status;
}

test('SECRETS_KEY rotation: with SECRETS_KEY_PREVIOUS old secrets still open, the scheduled run re-seals them, then the old key can go', async () => {
  const state = await mkdtemp(join(tmpdir(), 'edgeref-rotation-'));
  const sale = (email) => stripe.checkoutCompleted({ email, amount: 1000 });
  const sealed = async (worker, programId) => (await worker.sql(`SELECT secret FROM integrations WHERE program_id = '${programId}'`))[0].secret;
  let worker;
  try {
    worker = await startWorker({ state, vars: { SECRETS_KEY: OLD } });
    const { program, api } = await createProgram(worker);
    const whsec = 'whsec_rotation_' + Math.random().toString(36).slice(2);
    assert.equal((await client(worker.url, ADMIN_TOKEN)('PUT', `/v1/programs/${program.id}/integrations/stripe`, { webhook_secret: whsec })).status, 200);
    await api('POST', '/v1/customers', { key: 'ann', email: 'ann@example.com' });
    assert.equal(await postStripe(worker, program, whsec, sale('ann@example.com')), 200);
    const underOld = await sealed(worker, program.id);
    await worker.stop();

    // The key changed without the previous one: the secret no longer opens (and nothing is lost yet).
    worker = await startWorker({ state, vars: { SECRETS_KEY: NEW } });
    assert.equal(await postStripe(worker, program, whsec, sale('ann@example.com')), 503);
    await runCron(worker);
    assert.equal(await sealed(worker, program.id), underOld, 'nothing re-sealed without the previous key');
    await worker.stop();

    // With SECRETS_KEY_PREVIOUS: it opens, and the scheduled run re-seals it under the new key.
    worker = await startWorker({ state, vars: { SECRETS_KEY: NEW, SECRETS_KEY_PREVIOUS: OLD } });
    assert.equal(await postStripe(worker, program, whsec, sale('ann@example.com')), 200);
    assert.equal(await sealed(worker, program.id), underOld, 'opening does not write');
    await runCron(worker);
    const underNew = await sealed(worker, program.id);
    assert.notEqual(underNew, underOld, 're-sealed');
    assert.equal(underNew.includes(whsec), false);
    await runCron(worker);
    assert.equal(await sealed(worker, program.id), underNew, 'a secret already under the new key is left alone');
    await worker.stop();

    // The previous key removed: everything still opens.
    worker = await startWorker({ state, vars: { SECRETS_KEY: NEW } });
    assert.equal(await postStripe(worker, program, whsec, sale('ann@example.com')), 200);
    const [{ n }] = await worker.sql(`SELECT COUNT(*) AS n FROM transactions WHERE program_id = '${program.id}'`);
    assert.equal(n, 3, 'the three accepted sales, not the refused one');
  } finally {
    await worker?.stop();
    await rm(state, { recursive: true, force: true });
  }
});
