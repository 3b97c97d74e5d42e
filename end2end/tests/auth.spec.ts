import { test, expect, hydrated, allowConsoleErrors } from './fixtures';
import { APIRequestContext, Browser, BrowserContext, Page } from '@playwright/test';

/**
 * Sign-in and per-owner isolation (issue 12), against a `ferry serve` with FERRY_AUTH=oidc
 * whose issuer is the test provider in end2end/oidc/provider.mjs (project `oidc` in
 * playwright.config.ts, baseURL = that Ferry).
 *
 * What the tests assume of Ferry, in one place so it can be adjusted:
 */
const CONTRACT = {
  /** Signed-out page visits go here, with `?next=<path and query>`. */
  signInPath: '/sign-in',
  /** The sign-in page's control (a link, or a button in a form) starting the login. */
  signInText: 'Sign in',
  /** Where that control goes: `/auth/login?next=…`. */
  loginPath: '/auth/login',
  /** The header's sign-out control: a button in a form that POSTs to `logoutPath`. */
  signOutText: 'Sign out',
  logoutPath: '/auth/logout',
  /** The header element naming who is signed in (their name or email). */
  signedInAs: 'signed-in-as',
  /** The admin's asset listing: a cell with the owner's id (the `sub`) in each row. */
  ownerCell: 'td[data-label="Owner"]',
  /** Server functions the replays call. */
  getAsset: '/api/get_asset', // JSON body {"id": …}
  deleteAsset: '/api/delete_asset', // form body id=…
};

/** The test issuer's accounts (end2end/oidc/provider.mjs) and its sign-in form. */
const PEOPLE = {
  alice: { name: 'Alice Example', email: 'alice@example.test' },
  bob: { name: 'Bob Example', email: 'bob@example.test' },
  admin: { name: 'Ada Admin', email: 'admin@example.test' },
};
type Person = keyof typeof PEOPLE;
/** What the header may show for `who`: their name or their email. */
const shownAs = (who: Person) =>
  new RegExp([PEOPLE[who].name, PEOPLE[who].email].map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
const IDP = { username: 'Username', password: 'Password', submit: 'Continue' };

// ---------------------------------------------------------------------------------------------

function uniqueName(label: string): string {
  return `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.txt`;
}

function signInControl(page: Page) {
  const main = page.locator('main');
  return main
    .getByRole('link', { name: CONTRACT.signInText, exact: true })
    .or(main.getByRole('button', { name: CONTRACT.signInText, exact: true }));
}

/** The sign-in page, reached by a signed-out visit to `next`. */
async function expectSignInPageFor(page: Page, next: string) {
  await expect(page).toHaveURL((url) => url.pathname === CONTRACT.signInPath && url.searchParams.get('next') === next);
  await expect(signInControl(page)).toBeVisible();
  const href = await signInControl(page).getAttribute('href');
  if (href !== null) {
    const login = new URL(href, page.url());
    expect(login.pathname).toBe(CONTRACT.loginPath);
    expect(login.searchParams.get('next')).toBe(next);
  }
  await expect(page.getByTestId(CONTRACT.signedInAs)).toHaveCount(0);
}

/** Answers the test issuer's sign-in form. */
async function answerIssuer(page: Page, who: Person) {
  await expect(page.getByLabel(IDP.username)).toBeVisible();
  await page.getByLabel(IDP.username).fill(who);
  await page.getByLabel(IDP.password).fill('any password');
  await page.getByRole('button', { name: IDP.submit }).click();
}

/**
 * Signs `who` in the way a person does: visit `path` signed out, land on the sign-in page,
 * "Sign in", answer the issuer, and come back to `path`, signed in.
 */
async function signIn(page: Page, who: Person, path = '/') {
  await page.goto(path);
  await expectSignInPageFor(page, path);
  await signInControl(page).click();
  await answerIssuer(page, who);
  await expect(page).toHaveURL((url) => url.pathname + url.search === path);
  await hydrated(page);
  await expect(page.getByTestId(CONTRACT.signedInAs)).toContainText(shownAs(who));
}

/**
 * A second person in a browser context of their own (own cookies), with the same console-error
 * check the `page` fixture does.
 */
async function personPage(browser: Browser, who: Person): Promise<{ context: BrowserContext; page: Page; done: () => Promise<void> }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  await signIn(page, who);
  return {
    context,
    page,
    done: async () => {
      expect(errors.filter((e) => !/status of 404 \(Not Found\)/.test(e)), `console errors of ${who}`).toEqual([]);
      await context.close();
    },
  };
}

/** Uploads one small text file on the upload page; returns its asset id. */
async function upload(page: Page, name: string, text: string): Promise<string> {
  await page.goto('/');
  await hydrated(page);
  await page.setInputFiles('#file-input', { name, mimeType: 'text/plain', buffer: Buffer.from(text) });
  const row = page.locator(`[data-testid=upload-row][data-name="${name}"]`);
  await expect(row.getByTestId('row-state')).toHaveText('Uploaded');
  const href = await row.getByRole('link', { name: 'View asset' }).getAttribute('href');
  return href!.split('/').pop()!;
}

function assetRow(page: Page, id: string) {
  return page.locator(`tr[data-asset-id="${id}"]`);
}

/** A server-function call as the page makes it (same origin), with the context's cookies. */
async function getAsset(request: APIRequestContext, origin: string, id: string) {
  return request.post(CONTRACT.getAsset, {
    data: { id },
    headers: { Origin: origin, Accept: 'application/json' },
  });
}

async function deleteAsset(request: APIRequestContext, origin: string, id: string, headers: Record<string, string> = {}) {
  return request.post(CONTRACT.deleteAsset, {
    form: { id },
    headers: { Origin: origin, Accept: 'application/json', ...headers },
    maxRedirects: 0,
  });
}

/** A well-formed asset id no asset has. */
const NO_SUCH_ID = '01JDQ7ZK3M5X9V2B8N4C6T1R0W';

// ---------------------------------------------------------------------------------------------

test('a signed-out visit lands on the sign-in page, and signing in returns to it', async ({ page, baseURL }) => {
  await page.goto('/assets');
  expect(new URL(page.url()).search).toBe('?next=%2Fassets');
  await expectSignInPageFor(page, '/assets');
  await hydrated(page);

  // The API says 401 rather than redirecting.
  const api = await page.request.get('/asset');
  expect(api.status()).toBe(401);
  expect(api.headers()['www-authenticate']).toMatch(/^Bearer/);
  const fn = await page.request.post(CONTRACT.getAsset, { data: { id: NO_SUCH_ID }, headers: { Origin: baseURL! } });
  expect(fn.status()).toBe(401);

  await signInControl(page).click();
  await answerIssuer(page, 'alice');
  await expect(page).toHaveURL(`${baseURL}/assets`);
  await hydrated(page);
  await expect(page.getByTestId(CONTRACT.signedInAs)).toContainText(shownAs('alice'));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Assets');
});

test("another person sees none of one's assets, and cannot reach them by address or replay", async ({
  page,
  browser,
  baseURL,
}) => {
  const origin = baseURL!;
  // A signs in, uploads a file and sees it on /assets.
  await signIn(page, 'alice');
  const name = uniqueName('alice-private');
  const id = await upload(page, name, 'for alice only');
  await page.goto('/assets');
  await hydrated(page);
  await expect(assetRow(page, id)).toBeVisible();
  await expect(assetRow(page, id)).toHaveAttribute('data-status', 'UPLOADED');

  // B signs in (own browser context) and does not see it.
  const bob = await personPage(browser, 'bob');
  await bob.page.goto(`/assets?q=${encodeURIComponent(name)}`);
  await hydrated(bob.page);
  await expect(bob.page.locator('.listing')).toHaveAttribute('aria-busy', 'false');
  await expect(assetRow(bob.page, id)).toHaveCount(0);
  await bob.page.goto('/assets');
  await hydrated(bob.page);
  await expect(assetRow(bob.page, id)).toHaveCount(0);

  // A's detail page and download link are 404s for B, exactly like an id no asset has.
  const detail = await bob.page.goto(`/assets/${id}`);
  expect(detail?.status()).toBe(404);
  await expect(bob.page.getByRole('alert')).toContainText('Asset not found');
  await expect(bob.page.getByText('for alice only')).toHaveCount(0);
  const download = await bob.context.request.get(`/assets/${id}/download`, { maxRedirects: 0 });
  expect(download.status()).toBe(404);
  expect(download.headers()['location']).toBeUndefined();
  const noDownload = await bob.context.request.get(`/assets/${NO_SUCH_ID}/download`, { maxRedirects: 0 });
  expect(await download.text()).toBe(await noDownload.text());
  const dl = await bob.page.goto(`/assets/${id}/download`);
  expect(dl?.status()).toBe(404);

  // Replaying A's server-function calls with B's cookie: the same answer as for no asset.
  const none = await getAsset(bob.context.request, origin, NO_SUCH_ID);
  expect(none.status()).toBe(404);
  const got = await getAsset(bob.context.request, origin, id);
  expect(got.status()).toBe(404);
  expect(await got.text()).toBe(await none.text());
  const deleted = await deleteAsset(bob.context.request, origin, id);
  expect(deleted.status()).toBe(404);
  expect(await deleted.text()).toBe(await (await deleteAsset(bob.context.request, origin, NO_SUCH_ID)).text());

  // A's asset is unchanged.
  const mine = await getAsset(page.request, origin, id);
  expect(mine.status()).toBe(200);
  expect(await mine.json()).toMatchObject({ id, status: 'UPLOADED' });
  await page.reload();
  await hydrated(page);
  await expect(assetRow(page, id)).toHaveAttribute('data-status', 'UPLOADED');
  await bob.done();
});

test('signing out ends the session; signing in again returns to where the person was going', async ({
  page,
  baseURL,
}) => {
  await signIn(page, 'alice', '/assets');
  const signOut = page.getByRole('button', { name: CONTRACT.signOutText });
  // A plain form POST to the logout route (it works without JavaScript).
  const form = page.locator('form').filter({ has: signOut });
  expect(await form.getAttribute('method')).toMatch(/^post$/i);
  expect(new URL((await form.getAttribute('action'))!, baseURL).pathname).toBe(CONTRACT.logoutPath);

  await signOut.click();
  // Through the issuer's end-session endpoint back to Ferry's sign-in page.
  await expect(page).toHaveURL((url) => url.origin === baseURL && url.pathname === CONTRACT.signInPath);
  await expect(page.getByTestId(CONTRACT.signedInAs)).toHaveCount(0);
  await expect(signInControl(page)).toBeVisible();
  expect((await page.context().cookies(baseURL)).map((c) => c.name)).not.toContain('ferry_session');

  // The next visit asks to sign in, and afterwards goes where the person was going.
  const target = '/assets?q=holiday';
  await page.goto(target);
  await expectSignInPageFor(page, target);
  await signInControl(page).click();
  // Signed out at the issuer as well: it asks who is signing in.
  await answerIssuer(page, 'alice');
  await expect(page).toHaveURL(`${baseURL}${target}`);
  await hydrated(page);
  await expect(page.getByTestId(CONTRACT.signedInAs)).toContainText(shownAs('alice'));
});

test("the admin sees everyone's assets, with their owners", async ({ page, browser }) => {
  const prefix = `owners-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  await signIn(page, 'alice');
  const aliceId = await upload(page, `${prefix}-alice.txt`, 'alice wrote this');
  const bob = await personPage(browser, 'bob');
  const bobId = await upload(bob.page, `${prefix}-bob.txt`, 'bob wrote this');

  // Neither sees the other's.
  await page.goto(`/assets?q=${prefix}`);
  await hydrated(page);
  await expect(assetRow(page, aliceId)).toBeVisible();
  await expect(assetRow(page, bobId)).toHaveCount(0);

  // An administrator's own files by default; everyone's when asked for.
  const admin = await personPage(browser, 'admin');
  await admin.page.goto(`/assets?q=${prefix}`);
  await hydrated(admin.page);
  await expect(admin.page.getByTestId('empty')).toBeVisible();
  await admin.page.goto(`/assets?owner=all&q=${prefix}`);
  await hydrated(admin.page);
  await expect(assetRow(admin.page, aliceId).locator(CONTRACT.ownerCell)).toContainText('alice');
  await expect(assetRow(admin.page, bobId).locator(CONTRACT.ownerCell)).toContainText('bob');
  // And can open both.
  expect((await admin.page.goto(`/assets/${aliceId}`))?.status()).toBe(200);
  expect((await admin.page.goto(`/assets/${bobId}`))?.status()).toBe(200);
  await bob.done();
  await admin.done();
});

test('a cross-site form post to a server function is refused', async ({ page, baseURL }) => {
  const origin = baseURL!;
  await signIn(page, 'alice');
  const id = await upload(page, uniqueName('csrf-target'), 'keep me');

  // A page on another site that posts a delete form at Ferry as soon as it loads. With
  // SameSite=Lax the browser leaves the session cookie off, so this is refused as signed out.
  const evil = 'http://evil.example';
  await page.route(`${evil}/**`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>
<form id="f" method="post" action="${origin}${CONTRACT.deleteAsset}">
<input type="hidden" name="id" value="${id}"></form>
<script>document.getElementById('f').submit()</script></body></html>`,
    }),
  );
  allowConsoleErrors(page, /status of 40[13]/);
  const posted = page.waitForResponse((r) => r.url() === `${origin}${CONTRACT.deleteAsset}`);
  await page.goto(`${evil}/`);
  const answer = await posted;
  expect(answer.request().method()).toBe('POST');
  expect([401, 403]).toContain(answer.status());

  // The asset is still there.
  const still = await getAsset(page.request, origin, id);
  expect(still.status()).toBe(200);
  expect(await still.json()).toMatchObject({ id, status: 'UPLOADED' });

  // Ferry's own Origin check, with the cookie attached (as a browser without SameSite would).
  const forged = await deleteAsset(page.request, origin, id, { Origin: evil });
  expect(forged.status()).toBe(403);
  const after = await getAsset(page.request, origin, id);
  expect(await after.json()).toMatchObject({ id, status: 'UPLOADED' });

  // The same call from Ferry's own origin works (so the 403 above was the Origin check).
  const own = await deleteAsset(page.request, origin, id);
  expect(own.status()).toBeLessThan(400);
  const gone = await getAsset(page.request, origin, id);
  expect(await gone.json()).toMatchObject({ id, status: 'DELETED' });
});
