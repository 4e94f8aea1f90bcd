import { randomBytes } from 'node:crypto';
import express from 'express';
import { oauthProviders } from '@shieldwall/oauth-providers';

const app = express();
app.use(
  oauthProviders({
    publicOrigin: process.env.PUBLIC_ORIGIN ?? 'http://localhost:3000',
    // Your GitHub OAuth app, with callback URL <publicOrigin>/api/auth/oauth/github/callback.
    providers: {
      github: {
        clientId: process.env.GH_ID ?? 'your-client-id',
        clientSecret: process.env.GH_SECRET ?? 'your-client-secret',
      },
    },
    stateKey: randomBytes(32), // in a cluster: the same 32+ byte secret on every instance
    async onProfile(profile, _req, res) {
      // Yours: find or create the user (link by e-mail only if profile.emailVerified), then sign in.
      res.json({ provider: profile.provider, name: profile.name, emailVerified: profile.emailVerified });
    },
  }),
);
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`http://localhost:${port}/api/auth/oauth/github`));
