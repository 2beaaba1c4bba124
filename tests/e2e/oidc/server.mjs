// panva's oidc-provider as a real authorization server for oidc_test.py.
//
// Prints {"port","issuer"} once listening, then reads one JSON line of
// settings from stdin ({"redirectUri","clientSecret","accessTokenTtl"}),
// prints "ready". Login and consent complete without a page (the user
// "user-42" grants what is asked). GET /_counts reports the token
// endpoint's grants and errors, which the test asserts on.
import http from 'node:http';
import readline from 'node:readline';

import Provider from 'oidc-provider';

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;
console.log(JSON.stringify({ port, issuer }));

const rl = readline.createInterface({ input: process.stdin });
const settings = JSON.parse(await new Promise((resolve) => rl.once('line', resolve)));

const counts = { authorizationCode: 0, refreshToken: 0, errors: [] };
const provider = new Provider(issuer, {
  clients: [{
    client_id: 'latchkey',
    client_secret: settings.clientSecret,
    redirect_uris: [settings.redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  rotateRefreshToken: true,
  ttl: {
    AccessToken: settings.accessTokenTtl,
    AuthorizationCode: 60,
    RefreshToken: 3600,
    Grant: 3600,
    Session: 3600,
    Interaction: 600,
  },
  features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  cookies: { keys: ['latchkey-test-cookie-key'] },
});

provider.on('grant.success', (ctx) => {
  if (ctx.oidc.params.grant_type === 'refresh_token') counts.refreshToken += 1;
  else counts.authorizationCode += 1;
});
provider.on('grant.error', (ctx, err) => counts.errors.push(err.error || String(err)));

const callback = provider.callback();
server.on('request', async (req, res) => {
  try {
    if (req.url === '/_counts') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(counts));
      return;
    }
    if (req.url.startsWith('/interaction/')) {
      const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
      let result;
      if (prompt.name === 'login') {
        result = { login: { accountId: 'user-42' } };
      } else {
        const grant = grantId
          ? await provider.Grant.find(grantId)
          : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
        grant.addOIDCScope(params.scope);
        result = { consent: { grantId: await grant.save() } };
      }
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
      return;
    }
    callback(req, res);
  } catch (err) {
    res.statusCode = 500;
    res.end(String(err));
  }
});
console.log('ready');
