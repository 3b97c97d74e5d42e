// Walks the test issuer's code flow with PKCE without a browser, the way Ferry will, and
// prints what comes back: a check of end2end/oidc/provider.mjs, and a way to get tokens by hand.
//
//   node end2end/oidc/walk.mjs [account] [--resource] [--token]
//
// Environment: OIDC_PORT and FERRY_E2E_AUTH_URL / FERRY_E2E_AUTH_PORT as for provider.mjs.
// With --resource the flow asks for a JWT access token for Ferry (resource=<ferry URL>).
// With --token the report goes to stderr and stdout gets only the access token, e.g.
//   curl -H "Authorization: Bearer $(node end2end/oidc/walk.mjs bob --resource --token)" …
// It exits non-zero if any step fails or a claim is not what the provider promises.
import * as crypto from 'node:crypto';
import { strict as assert } from 'node:assert';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const args = process.argv.slice(2);
const account = args.find((a) => !a.startsWith('--')) ?? 'alice';
const withResource = args.includes('--resource');
const tokenOnly = args.includes('--token');
const print = console.log;
if (tokenOnly) console.log = console.error;
const issuer = `http://127.0.0.1:${process.env.OIDC_PORT ?? 4010}`;
const ferry = (
  process.env.FERRY_E2E_AUTH_URL ?? `http://127.0.0.1:${process.env.FERRY_E2E_AUTH_PORT ?? 3200}`
).replace(/\/+$/, '');
const clientId = 'ferry-e2e';
const secret = 'ferry-e2e-secret';
const redirectUri = `${ferry}/auth/callback`;

const jar = new Map();
async function go(url, init = {}) {
  const headers = { ...(init.headers ?? {}) };
  if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    jar.set(pair.slice(0, i), pair.slice(i + 1));
  }
  return res;
}
const b64url = (b) => Buffer.from(b).toString('base64url');

const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
assert.equal(discovery.issuer, issuer);

const verifier = b64url(crypto.randomBytes(32));
const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
const state = b64url(crypto.randomBytes(16));
const nonce = b64url(crypto.randomBytes(16));
const auth = new URL(discovery.authorization_endpoint);
auth.search = new URLSearchParams({
  response_type: 'code',
  client_id: clientId,
  redirect_uri: redirectUri,
  scope: 'openid email profile',
  state,
  nonce,
  code_challenge: challenge,
  code_challenge_method: 'S256',
  ...(withResource ? { resource: ferry } : {}),
}).toString();

// Without PKCE the provider refuses the request.
{
  const bare = new URL(auth);
  bare.searchParams.delete('code_challenge');
  bare.searchParams.delete('code_challenge_method');
  const res = await go(bare);
  const loc = res.headers.get('location') ?? '';
  assert.ok(loc.includes('error=invalid_request'), `PKCE-less request not refused: ${res.status} ${loc}`);
  console.log('without PKCE      :', decodeURIComponent(new URL(loc).searchParams.get('error_description')));
}

let res = await go(auth);
assert.equal(res.status, 303, 'authorization → interaction');
const interaction = new URL(res.headers.get('location'), issuer);
res = await go(interaction);
assert.equal(res.status, 200);
assert.match(await res.text(), /<label for="login">Username<\/label>/);
res = await go(`${interaction}/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ login: account, password: 'anything' }),
});
assert.equal(res.status, 303, 'login → resume');
res = await go(new URL(res.headers.get('location'), issuer));
assert.equal(res.status, 303, 'resume → redirect_uri');
const back = new URL(res.headers.get('location'));
assert.equal(`${back.origin}${back.pathname}`, redirectUri);
assert.equal(back.searchParams.get('state'), state);
assert.equal(back.searchParams.get('iss'), issuer);
const code = back.searchParams.get('code');
assert.ok(code, `no code: ${back}`);
console.log('redirect          :', `${back.origin}${back.pathname}?code=…&state=…&iss=${back.searchParams.get('iss')}`);

const token = await fetch(discovery.token_endpoint, {
  method: 'POST',
  headers: {
    authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
  },
  body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }),
});
const tokens = await token.json();
assert.equal(token.status, 200, JSON.stringify(tokens));

const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
const { payload: id, protectedHeader } = await jwtVerify(tokens.id_token, jwks, { issuer, audience: clientId });
console.log('ID token header   :', JSON.stringify(protectedHeader));
console.log('ID token claims   :', JSON.stringify(id, null, 1));
assert.equal(id.sub, account);
assert.equal(id.nonce, nonce);
assert.ok(id.email && id.name && id.email_verified === true);
if (account === 'admin') assert.deepEqual(id['cognito:groups'], ['ferry-admins']);
else assert.equal(id['cognito:groups'], undefined);

if (withResource) {
  const { payload: at, protectedHeader: ath } = await jwtVerify(tokens.access_token, jwks, { issuer, audience: clientId });
  console.log('access token      :', JSON.stringify(ath), JSON.stringify(at, null, 1));
  assert.equal(at.sub, account);
  assert.equal(at.client_id, clientId);
  if (account === 'admin') assert.deepEqual(at['cognito:groups'], ['ferry-admins']);
} else {
  const me = await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  console.log('userinfo          :', me.status, JSON.stringify(await me.json()));
}

// RP-initiated logout as Ferry's POST /auth/logout will send it: client_id and
// post_logout_redirect_uri, no id_token_hint. The page confirms itself (a form posted by script).
const end = new URL(discovery.end_session_endpoint);
end.search = new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: `${ferry}/sign-in` }).toString();
res = await go(end);
const html = await res.text();
assert.equal(res.status, 200);
const xsrf = html.match(/name="xsrf" value="([^"]+)"/)[1];
const action = html.match(/action="([^"]+)"/)[1];
assert.match(html, /name="logout" value="yes"/);
res = await go(new URL(action, issuer), {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ xsrf, logout: 'yes' }),
});
assert.equal(res.status, 303);
const after = res.headers.get('location');
assert.equal(after, `${ferry}/sign-in`);
console.log('logout            :', res.status, '→', after);
// Signed out at the issuer too: a new authorization asks for the username again.
res = await go(auth);
res = await go(new URL(res.headers.get('location'), issuer));
assert.match(await res.text(), /Username/);
console.log('after logout      : sign-in form again');
console.log('ok');
if (tokenOnly) print(tokens.access_token);
