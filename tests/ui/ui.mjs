// Browser test of the gateway's web UI, run by tests/e2e/ui.rs against `faasd up` on a real
// containerd: Debian's chromium driven by playwright-core.
//
// Env: FAAS_GATEWAY_URL, FAAS_USER, FAAS_PASSWORD, FAAS_NAMESPACE, FAAS_FUNCTION (deployed
// beforehand, the test image), FAAS_STORE_FILE (a store JSON whose FAAS_STORE_FUNCTION entry
// points at the test image in the local registry); FAAS_UI_SCREENSHOTS: a directory to write
// each page's screenshot at desktop and phone width into (optional).
// Exits 0 when every check passed; prints the failing step otherwise.

import { chromium, request } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const gw = env('FAAS_GATEWAY_URL');
const user = env('FAAS_USER');
const password = env('FAAS_PASSWORD');
const ns = env('FAAS_NAMESPACE');
const fn = env('FAAS_FUNCTION');
const storeFile = env('FAAS_STORE_FILE');
const storeFn = env('FAAS_STORE_FUNCTION');
const shots = process.env.FAAS_UI_SCREENSHOTS || '';
if (shots) mkdirSync(shots, { recursive: true });
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const WAIT = 90_000;

let step = 'start';
const log = (msg) => console.log(`[ui] ${msg}`);
const check = (cond, msg) => {
  if (!cond) throw new Error(`check failed: ${msg}`);
};
const begin = (name) => {
  step = name;
  log(name);
};

// Only 127.0.0.1: a request anywhere else fails the test.
async function guard(context) {
  const origin = new URL(gw).origin;
  const outside = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    outside.push(url);
    return route.abort();
  });
  return outside;
}

async function shot(page, name, fullPage = false) {
  if (!shots) return;
  // Without the passing notice, and from the top.
  await page.evaluate(() => {
    const toast = document.getElementById('toast');
    if (toast) toast.className = '';
    window.scrollTo(0, 0);
  });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, `${name}-desktop.png`), fullPage });
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, `${name}-phone.png`), fullPage });
  await page.setViewportSize(DESKTOP);
}

// Each browser gets a fresh profile (--user-data-dir), removed at the end.
const profiles = [];
async function open(options) {
  const dir = mkdtempSync(join(tmpdir(), 'faas-ui-chromium-'));
  profiles.push(dir);
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.FAAS_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    ],
    ...options,
  });
  context.on('response', (r) => {
    recent.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    if (recent.length > 40) recent.shift();
  });
  const page = context.pages()[0] || (await context.newPage());
  return { context, page };
}
const opened = [];
const recent = []; // the last responses the page got, printed on failure
const timer = setTimeout(() => {
  console.error(`[ui] timed out at step: ${step}`);
  process.exit(2);
}, 8 * 60_000);

let failed = false;
try {
  // --- A wrong password gets nothing: 401 and no data on the page or from the API.
  begin('wrong password');
  {
    const { context, page } = await open({ httpCredentials: { username: user, password: `${password}x` } });
    opened.push(context);
    await guard(context);
    const r = await page.goto(`${gw}/ui/`);
    check(r.status() === 401, `GET /ui/ with a wrong password answered ${r.status()}`);
    const text = await page.content();
    check(!text.includes(fn) && !text.includes('js/app.js'), 'the 401 page shows UI or function data');
    const api = await context.request.get(`${gw}/system/functions?namespace=${ns}`);
    check(api.status() === 401, `/system/functions with a wrong password answered ${api.status()}`);
    check(!(await api.text()).includes(fn), 'the 401 answer names the function');
    await context.close();
  }
  {
    const anonymous = await request.newContext();
    const r = await anonymous.get(`${gw}/ui/`, { maxRedirects: 0 });
    check(r.status() === 401, `GET /ui/ without credentials answered ${r.status()}`);
    check(r.headers()['www-authenticate'] === 'Basic realm="Restricted"', 'no Basic challenge');
    await anonymous.dispose();
  }

  const { context, page } = await open({ httpCredentials: { username: user, password }, viewport: DESKTOP });
  opened.push(context);
  const outside = await guard(context);
  const errors = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('dialog', (d) => d.accept()); // the confirmations of delete

  // --- Log in: `/` leads to the functions list, which shows the deployed function and replicas.
  begin('log in and list');
  await page.goto(`${gw}/`);
  check(new URL(page.url()).pathname === '/ui/', `/ redirected to ${page.url()}`);
  await page.goto(`${gw}/ui/#/functions?ns=${ns}`);
  const row = page.locator(`tr[data-function="${fn}"]`);
  await row.waitFor({ timeout: WAIT });
  await row.locator('.replicas', { hasText: '1/1' }).waitFor({ timeout: WAIT });
  check((await row.textContent()).includes('Ready'), 'the function is not shown Ready');
  check((await page.locator('#namespace').inputValue()) === ns, 'the namespace selector');

  // --- Deploy from the store, loaded from a local file.
  begin('deploy from the store');
  await page.goto(`${gw}/ui/#/deploy`);
  await page.locator('li[data-store="figlet"]').waitFor({ timeout: WAIT }); // the built-in store
  await shot(page, 'deploy');
  await page.getByLabel('Store file').setInputFiles(storeFile);
  const card = page.locator(`li[data-store="${storeFn}"]`);
  await card.waitFor({ timeout: WAIT });
  await card.getByRole('button', { name: /^Use/ }).click();
  check((await page.getByLabel('Name', { exact: true }).inputValue()) === storeFn, 'the store entry did not fill the form');
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  await page.waitForURL(new RegExp(`#/function/${storeFn}$`), { timeout: WAIT });
  await page.getByTestId('replicas').filter({ hasText: '1/1' }).waitFor({ timeout: WAIT });
  await page.goto(`${gw}/ui/#/functions`);
  await page.locator(`tr[data-function="${storeFn}"] .replicas`, { hasText: '1/1' }).waitFor({ timeout: WAIT });
  await shot(page, 'functions');

  // --- Invoke with a body and see the answer.
  begin('invoke');
  await page.locator(`tr[data-function="${fn}"] a`).click();
  await page.waitForURL(new RegExp(`#/function/${fn}$`));
  await page.getByLabel('Method').selectOption('POST');
  await page.getByLabel('Path').fill('/cgi-bin/echo');
  await page.getByLabel('Body').fill('hello from the browser');
  await page.getByRole('button', { name: 'Invoke', exact: true }).click();
  await page.getByTestId('invoke-status').filter({ hasText: '200' }).waitFor({ timeout: WAIT });
  const answer = await page.getByTestId('invoke-body').textContent();
  check(answer.includes('echo') && answer.includes('hello from the browser'), `the answer was ${JSON.stringify(answer)}`);

  // --- Scale to 3 and see it.
  begin('scale to 3');
  await page.getByLabel('Replicas', { exact: true }).fill('3');
  await page.getByRole('button', { name: 'Scale', exact: true }).click();
  await page.getByTestId('replicas').filter({ hasText: '3/3' }).waitFor({ timeout: WAIT });

  // --- Follow the logs: a line the function writes while we watch shows up.
  begin('follow logs');
  await page.getByRole('button', { name: 'Follow logs' }).click();
  await page.getByRole('button', { name: 'Stop following' }).waitFor();
  const marker = `ui-marker-${Date.now()}`;
  const logs = page.getByTestId('logs');
  for (let i = 0; i < 30 && !(await logs.textContent()).includes(`log ${marker}`); i++) {
    // Each call lands on one of the 3 replicas; all of them are followed.
    await page.getByLabel('Method').selectOption('GET');
    await page.getByLabel('Path').fill(`/cgi-bin/log?${marker}`);
    await page.getByRole('button', { name: 'Invoke', exact: true }).click();
    await page.getByTestId('invoke-status').filter({ hasText: '200' }).waitFor({ timeout: WAIT });
    await page.waitForTimeout(1000);
  }
  check((await logs.textContent()).includes(`log ${marker}`), 'the logged line did not appear');
  await shot(page, 'function', true);
  await page.getByRole('button', { name: 'Stop following' }).click();

  // --- Secrets: create, see the name (never the value), replace, delete.
  begin('secrets');
  await page.goto(`${gw}/ui/#/secrets`);
  const value = `v-${Date.now()}`;
  await page.getByLabel('Name', { exact: true }).fill('ui-secret');
  await page.getByLabel('Value', { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  const secretRow = page.locator('tr[data-secret="ui-secret"]');
  await secretRow.waitFor({ timeout: WAIT });
  check(!(await page.content()).includes(value), 'the secret value is shown');
  await secretRow.getByRole('button', { name: 'Replace ui-secret' }).click();
  await page.getByLabel('Value', { exact: true }).fill(`${value}-2`);
  await page.getByRole('button', { name: 'Replace', exact: true }).click();
  await page.locator('#toast', { hasText: 'Replaced secret ui-secret' }).waitFor({ timeout: WAIT });
  await shot(page, 'secrets');
  await secretRow.getByRole('button', { name: 'Delete ui-secret' }).click();
  await secretRow.waitFor({ state: 'detached', timeout: WAIT });
  const secrets = await context.request.get(`${gw}/system/secrets?namespace=${ns}`);
  check(!(await secrets.text()).includes('ui-secret'), 'the secret is still listed by the API');

  // --- System info.
  begin('system info');
  await page.goto(`${gw}/ui/#/system`);
  await page.getByText('containerd', { exact: true }).waitFor({ timeout: WAIT });
  await shot(page, 'system');

  // --- Delete the function.
  begin('delete');
  await page.goto(`${gw}/ui/#/function/${fn}`);
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.waitForURL(/#\/functions$/, { timeout: WAIT });
  await page.locator(`tr[data-function="${storeFn}"]`).waitFor({ timeout: WAIT });
  await page.locator(`tr[data-function="${fn}"]`).waitFor({ state: 'detached', timeout: WAIT });
  const status = await context.request.get(`${gw}/system/function/${fn}?namespace=${ns}`);
  check(status.status() === 404, `the deleted function answers ${status.status()}`);

  check(outside.length === 0, `requests outside the gateway: ${outside.join(', ')}`);
  check(errors.length === 0, errors.join('\n'));
  await context.close();

  // --- The login form instead of the browser's prompt: a cookie session, CSRF-checked writes.
  begin('login form');
  {
    const { context, page } = await open({ viewport: DESKTOP });
    opened.push(context);
    const outside = await guard(context);
    page.on('dialog', (d) => d.accept());
    await page.goto(`${gw}/ui/login`);
    await page.getByLabel('User').fill(user);
    await page.getByLabel('Password').fill(`${password}x`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong user or password' }).waitFor({ timeout: WAIT });
    await shot(page, 'login');
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${gw}/ui/`, { timeout: WAIT });
    await page.locator(`tr[data-function="${storeFn}"]`).waitFor({ timeout: WAIT });
    const cookies = await context.cookies(gw);
    const session = cookies.find((c) => c.name === 'faas_session');
    check(session && session.httpOnly && session.sameSite === 'Strict', `the session cookie: ${JSON.stringify(session)}`);
    // A write from the page carries the CSRF token; the same write without it is refused.
    const forged = await context.request.post(`${gw}/system/secrets`, { data: { name: 'forged', namespace: ns, value: 'x' } });
    check(forged.status() === 403, `a write without the CSRF token answered ${forged.status()}`);
    await page.goto(`${gw}/ui/#/secrets`);
    await page.getByLabel('Name', { exact: true }).fill('form-secret');
    await page.getByLabel('Value', { exact: true }).fill('from the form session');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const row = page.locator('tr[data-secret="form-secret"]');
    await row.waitFor({ timeout: WAIT });
    await row.getByRole('button', { name: 'Delete form-secret' }).click();
    await row.waitFor({ state: 'detached', timeout: WAIT });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${gw}/ui/login`, { timeout: WAIT });
    const after = await context.request.get(`${gw}/system/functions?namespace=${ns}`);
    check(after.status() === 401, `after logging out /system/functions answered ${after.status()}`);
    check(outside.length === 0, `requests outside the gateway: ${outside.join(', ')}`);
    await context.close();
  }
  log('all checks passed');
} catch (e) {
  failed = true;
  console.error(`[ui] failed at step "${step}": ${e.stack || e}`);
  console.error(`[ui] last responses:\n${recent.join('\n')}`);
  for (const c of opened) {
    for (const p of c.pages()) {
      const main = await p.evaluate(() => document.body?.innerText ?? '').catch(() => '(none)');
      const toast = await p.locator('#toast').innerText().catch(() => '');
      console.error(`[ui] page ${p.url()}\n[ui] notice: ${toast}\n[ui] page text:\n${main}`);
    }
  }
} finally {
  clearTimeout(timer);
  for (const c of opened) await c.close().catch(() => {});
  for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
