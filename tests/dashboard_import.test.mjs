// The dashboard's customer import in headless Chromium against `wrangler dev`:
// choose a file, columns guessed from its header (and changed by hand), a preview
// with the errors the import would report, an import in chunks with a progress bar,
// the report and the failed rows to download; then the CSV downloads.
// SCREENSHOTS=1 saves the screen to docs/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, launchBrowser, signedInDashboard, createProgram } from './harness.mjs';

const shots = process.env.SCREENSHOTS === '1' ? join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots') : null;

let worker, browser;
before(async () => {
  worker = await startWorker();
  browser = await launchBrowser();
  if (shots) await mkdir(shots, { recursive: true });
});
after(async () => {
  await browser?.close();
  await worker?.stop();
});

test('import: map the columns, preview the errors, import in chunks, download the failed rows and the CSVs', async () => {
  const { api } = await createProgram(worker, { name: 'Import shop' });
  assert.equal((await api('POST', '/v1/customers', { key: 'holder', email: 'holder@example.com', referral_code: 'taken' })).status, 201);
  // 2,400 rows (three calls of 1,000), referred customers before their referrers, two bad rows.
  const lines = ['Customer ID,E-mail,First Name,Code,Referrer,Plan'];
  for (let i = 0; i < 2400; i++) lines.push(`u${i},u${i}@example.com,User ${i},code${i},${i < 2000 ? `u${i + 400}` : ''},pro`);
  lines[2] = 'u1,not-an-email,User 1,code1,u401,pro';
  lines[4] = 'u3,u3@example.com,User 3,taken,u403,pro';
  const file = { name: 'old-tool.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\r\n') + '\r\n') };

  const { context, page, problems } = await signedInDashboard(browser, worker, { viewport: { width: 1024, height: 900 }, acceptDownloads: true });
  await page.getByRole('link', { name: 'Import shop' }).click();
  await page.getByRole('navigation', { name: 'Program' }).getByRole('link', { name: 'Customers' }).click();

  const card = page.locator('#customer-import');
  await card.getByLabel('CSV file').setInputFiles(file);
  // Guessed from the header: E-mail is the email; "Customer ID" and the rest are for the owner to choose.
  assert.equal(await card.getByLabel('Email (required)').inputValue(), '1');
  await card.getByText('Choose the column for: Key (your id for the customer).').waitFor();
  await card.getByLabel('Key (your id for the customer) (required)').selectOption({ label: 'Customer ID' });
  await card.getByLabel('First name').selectOption({ label: 'First Name' });
  await card.getByLabel('Referral code').selectOption({ label: 'Code' });
  await card.getByLabel('Referred by (their referrer’s key)').selectOption({ label: 'Referrer' });

  const preview = card.getByRole('table', { name: 'Import preview' });
  await preview.waitFor();
  const text = await card.locator('.import-preview').innerText();
  assert.match(text, /Checked the first 1000 of 2400 rows: 998 new, 0 updated, 0 unchanged, 2 with errors\./);
  assert.match(text, /email: must be an email address like name@example\.com \(invalid\)/);
  assert.match(text, /referral_code: referral code `taken` belongs to another customer \(code_taken\)/);
  if (shots) {
    await page.evaluate(() => { document.activeElement?.blur(); document.getElementById('status').textContent = ''; });
    await card.screenshot({ path: join(shots, '19-import.png') });
  }

  await card.getByRole('button', { name: 'Import customers' }).click();
  await card.getByText('Import finished.').waitFor({ timeout: 60_000 });
  assert.equal(await card.locator('progress').evaluate((p) => [p.value, p.max].join('/')), '2400/2400');
  const report = await card.locator('.import-report').innerText();
  assert.match(report, /2398 created, 0 updated, 0 unchanged, 2 rows with errors\./);
  assert.match(report, /Row 3: email: must be an email address/);
  assert.match(report, /Row 5: referral_code: /);

  const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('link', { name: 'Download the 2 failed rows' }).click()]);
  const failed = (await readFile(await download.path(), 'utf8')).trim().split(/\r\n/);
  assert.equal(failed[0], 'Customer ID,E-mail,First Name,Code,Referrer,Plan,error');
  assert.deepEqual(failed.slice(1).map((l) => l.split(',')[0]), ['u1', 'u3']);

  // Every good row landed with its code and referrer (referrers came later in the file).
  const u5 = (await api('GET', '/v1/customers/u5')).body;
  assert.deepEqual([u5.referral_code, u5.referred_by, u5.name], ['code5', 'u405', 'User 5']);
  assert.equal((await api('GET', '/v1/customers/u405')).body.referrals_count, 1);
  await page.locator('#customers tbody tr').first().waitFor();

  // The downloads: the customers CSV, and the rewards screen's.
  const [csv] = await Promise.all([page.waitForEvent('download'), page.locator('#customers').getByRole('link', { name: 'Download CSV' }).click()]);
  assert.equal(csv.suggestedFilename(), 'customers.csv');
  const exported = await readFile(await csv.path(), 'utf8');
  assert.equal(exported.trim().split('\r\n').length, 1 + 2399);
  await page.getByRole('navigation', { name: 'Program' }).getByRole('link', { name: 'Rewards' }).click();
  const [rewards] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download rewards CSV' }).click()]);
  assert.match(await readFile(await rewards.path(), 'utf8'), /^id,customer_key,kind,/);
  assert.deepEqual(problems, []);
  await context.close();
});
