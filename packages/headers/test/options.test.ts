import express from 'express';
import request from 'supertest';
import { ShieldwallConfigError } from '@shieldwall/core';
import { securityHeaders } from '../src/index.js';

const note =
  "helmet's option names and ours are listed side by side in @shieldwall/headers' README (Coming from helmet).";

describe('securityHeaders: option names are checked at start-up', () => {
  it.each([
    ['frameguard', { action: 'deny' }, 'frameOptions'],
    ['xFrameOptions', { action: 'sameorigin' }, 'frameOptions'],
    ['contentSecurityPolicy', { directives: {} }, 'csp'],
    ['strictTransportSecurity', { maxAge: 1 }, 'hsts'],
    ['xXssProtection', false, 'xssProtection'],
    ['xContentTypeOptions', false, 'noSniff'],
    ['xPoweredBy', false, 'hidePoweredBy'],
    ['crossOriginEmbedderPolicy', true, 'extras'],
  ])('answers helmet’s `%s` with our name', (name, value, ours) => {
    expect(() => securityHeaders({ [name]: value })).toThrow(
      `@shieldwall/headers: securityHeaders() has no option \`${name}\`; did you mean \`${ours}\`? ${note}`,
    );
  });

  it('answers a typo with the nearest name, without the helmet note', () => {
    expect(() => securityHeaders({ frameOption: 'DENY' } as never)).toThrow(
      /^@shieldwall\/headers: securityHeaders\(\) has no option `frameOption`; did you mean `frameOptions`\?$/,
    );
  });

  it('checks the names inside hsts, csp and cspReportOnly', () => {
    expect(() => securityHeaders({ hsts: { maxage: 10 } as never })).toThrow(
      '@shieldwall/headers: securityHeaders({ hsts }) has no option `maxage`; did you mean `maxAge`?',
    );
    expect(() => securityHeaders({ csp: { directive: {} } as never })).toThrow(
      '@shieldwall/headers: securityHeaders({ csp }) has no option `directive`; did you mean `directives`?',
    );
    expect(() => securityHeaders({ cspReportOnly: { nonces: true } as never })).toThrow(
      '@shieldwall/headers: securityHeaders({ cspReportOnly }) has no option `nonces`; did you mean `nonce`?',
    );
    expect(() => securityHeaders({ csp: 'default-src self' as never })).toThrow(
      '@shieldwall/headers: securityHeaders({ csp }) takes an options object; got string.',
    );
  });

  it('refuses before any middleware exists, so no request is ever served with the default policy', async () => {
    const app = express();
    let error: unknown;
    try {
      app.use(securityHeaders({ contentSecurityPolicy: { directives: { scriptSrc: ["'none'"] } } } as never));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ShieldwallConfigError);
    app.get('/', (_req, res) => res.send('ok'));
    const res = await request(app).get('/').expect(200);
    expect(res.headers['content-security-policy']).toBeUndefined();
  });
});
