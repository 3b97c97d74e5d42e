// The OpenID Connect issuer of the signed-in browser tests: npm `oidc-provider` (9.x) on a
// loopback port, with three static accounts and one confidential client for the Ferry under
// test. Started by playwright.config.ts; by hand:
//
//   OIDC_PORT=4010 FERRY_E2E_AUTH_PORT=3200 node end2end/oidc/provider.mjs
//
// Environment (or argv: `provider.mjs <port> <ferry public URL>`):
//   OIDC_PORT               port on 127.0.0.1 (issuer http://127.0.0.1:<port>), default 4010
//   FERRY_E2E_AUTH_URL      the Ferry's public URL (its FERRY_PUBLIC_URL); otherwise
//   FERRY_E2E_AUTH_PORT     its port on 127.0.0.1, default 3200
//
// What it offers:
// - accounts `alice`, `bob` (ordinary) and `admin` (`cognito:groups: ["ferry-admins"]`), each
//   with `email`, `email_verified` and `name`; `sub` is the account id. The sign-in form asks
//   for a username (one of those three) and any password.
// - client `ferry-e2e`, secret `ferry-e2e-secret` (client_secret_basic), code flow with PKCE
//   (S256) required, redirect URI `<ferry>/auth/callback`, post-logout redirect URI
//   `<ferry>/sign-in`, scopes `openid email profile`.
// - no consent screen: every sign-in is granted the scopes asked for.
// - ID tokens carry the claims of the granted scopes (`conformIdTokenClaims: false`); the
//   groups claim comes with `openid`, so it is in every admin ID token.
// - RP-initiated logout (end_session_endpoint) that confirms itself and then redirects to the
//   post-logout redirect URI.
// - JWT access tokens for Ferry's bearer checks: ask for them with `resource=<ferry URL>` on
//   the authorization (or token) request. They carry `aud: "ferry-e2e"`, `client_id`, `sub`,
//   `scope`, and the admin's `cognito:groups`. Without `resource` the access token is the
//   provider's opaque one for its userinfo endpoint.
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.argv[2] ?? process.env.OIDC_PORT ?? 4010);
const ferry = (
  process.argv[3] ??
  process.env.FERRY_E2E_AUTH_URL ??
  `http://127.0.0.1:${process.env.FERRY_E2E_AUTH_PORT ?? 3200}`
).replace(/\/+$/, '');
const issuer = `http://127.0.0.1:${port}`;

export const CLIENT_ID = 'ferry-e2e';
export const CLIENT_SECRET = 'ferry-e2e-secret';
export const ADMIN_GROUP = 'ferry-admins';

const ACCOUNTS = {
  alice: { email: 'alice@example.test', name: 'Alice Example', groups: [] },
  bob: { email: 'bob@example.test', name: 'Bob Example', groups: [] },
  admin: { email: 'admin@example.test', name: 'Ada Admin', groups: [ADMIN_GROUP] },
};

function groupsClaim(id) {
  const groups = ACCOUNTS[id]?.groups ?? [];
  return groups.length ? { 'cognito:groups': groups } : {};
}

// A fresh signing key for each run: Ferry reads it from the JWKS endpoint.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `e2e-${Date.now()}`, use: 'sig', alg: 'RS256' };

const page = (title, body, head = '') => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin:.75rem 0 .25rem}input{width:100%;padding:.4rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1rem}.error{color:#b00020}</style>${head}</head>
<body>${body}</body></html>`;

const esc = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const configuration = {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      client_name: 'Ferry (browser tests)',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [`${ferry}/auth/callback`],
      post_logout_redirect_uris: [`${ferry}/sign-in`],
      scope: 'openid email profile',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: {
    // Ferry runs on the same host (127.0.0.1, another port) and cookies ignore ports: names
    // that say whose they are.
    names: { session: 'oidc_session', interaction: 'oidc_interaction', resume: 'oidc_interaction_resume' },
    keys: [crypto.randomBytes(32).toString('base64url')],
  },
  // PKCE (S256) for every authorization request, even from this confidential client.
  pkce: { required: () => true },
  async findAccount(_ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: account.email,
          email_verified: true,
          name: account.name,
          preferred_username: id,
          ...groupsClaim(id),
        };
      },
    };
  },
  claims: {
    openid: ['sub', 'cognito:groups'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  conformIdTokenClaims: false,
  // No consent screen: the session's grant gets whatever (allowed) scopes are asked for.
  async loadExistingGrant(ctx) {
    const { provider, session, client, params } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    const grant =
      (grantId && (await provider.Grant.find(grantId))) ||
      new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['cognito:groups']);
    if (params?.resource) {
      for (const resource of [params.resource].flat()) grant.addResourceScope(resource, 'openid email profile');
    }
    await grant.save();
    return grant;
  },
  interactions: {
    url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // Confirms the sign-out by itself (the tests have no use for the question).
      async logoutSource(ctx, form) {
        ctx.body = page(
          'Signing out',
          `${form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>')}
<p>Signing out…</p>
<script>document.getElementById('op.logoutForm').submit()</script>`,
        );
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<h1>Signed out</h1>');
      },
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: async () => true,
      async getResourceServerInfo(_ctx, resource) {
        if (resource.replace(/\/+$/, '') !== ferry) throw new errors.InvalidTarget();
        return {
          scope: 'openid email profile',
          audience: CLIENT_ID,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 3600,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  async extraTokenClaims(_ctx, token) {
    if (token.kind !== 'AccessToken') return undefined;
    return { ...groupsClaim(token.accountId), token_use: 'access', username: token.accountId };
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 300,
    IdToken: 3600,
    Interaction: 3600,
    Session: 24 * 3600,
    Grant: 24 * 3600,
  },
  async renderError(ctx, out, error) {
    console.error('oidc-provider error page:', out, error?.message);
    ctx.type = 'html';
    ctx.body = page(
      'Sign-in error',
      `<h1>Sign-in error</h1><pre data-testid="oidc-error">${esc(JSON.stringify(out, null, 2))}</pre>`,
    );
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error:', err));

function loginForm(uid, error = '', login = '') {
  const accounts = Object.keys(ACCOUNTS).map((id) => `<code>${id}</code>`).join(', ');
  return page(
    'Sign in to the test issuer',
    `<h1>Test issuer</h1>
<p>Accounts: ${accounts}; any password.</p>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
  <label for="login">Username</label>
  <input id="login" name="login" required autofocus value="${esc(login)}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password">
  <button type="submit">Continue</button>
</form>`,
  );
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

// The sign-in interaction, written with the provider's interactionDetails /
// interactionFinished API (what its example/ does with Express).
async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const html = (status, body) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(body);
  };
  if (details.prompt.name === 'login') {
    if (req.method === 'GET' && !action) return html(200, loginForm(uid));
    if (req.method === 'POST' && action === 'login') {
      const form = await readForm(req);
      const login = (form.get('login') ?? '').trim();
      if (!Object.hasOwn(ACCOUNTS, login)) return html(200, loginForm(uid, `No account "${login}".`, login));
      return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    }
  }
  if (details.prompt.name === 'consent') {
    // loadExistingGrant grants everything; should a consent prompt still come up, grant it.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  res.writeHead(404).end();
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  const m = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login))?$/);
  if (url.pathname === '/favicon.ico') return res.writeHead(204).end();
  if (!m) return callback(req, res);
  try {
    await interaction(req, res, m[1], m[2]);
  } catch (err) {
    console.error('interaction failed:', err);
    if (!res.headersSent) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page('Sign-in error', `<h1>Sign-in error</h1><p>${esc(err.message)}</p>`));
    }
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ready: issuer ${issuer}, client ${CLIENT_ID}, Ferry ${ferry}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
