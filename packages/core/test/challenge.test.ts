import type { IncomingMessage } from 'node:http';
import {
  readChallengeAnswer,
  verificationRequired,
  getClientInfo,
  setClientInfo,
  normaliseIp,
} from '../src/index.js';

const req = (headers: Record<string, string>) =>
  ({ headers, socket: { remoteAddress: '::ffff:10.0.0.1' } }) as unknown as IncomingMessage;

describe('challenge helpers', () => {
  it('reads an answer only when both headers are present and plausible', () => {
    expect(readChallengeAnswer(req({ 'x-verification-id': 'abc', 'x-verification-code': '123456' }))).toEqual(
      { id: 'abc', answer: '123456' },
    );
    expect(readChallengeAnswer(req({ 'x-verification-id': 'abc' }))).toBeUndefined();
    expect(
      readChallengeAnswer(req({ 'x-verification-id': 'a'.repeat(129), 'x-verification-code': '1' })),
    ).toBeUndefined();
  });

  it('builds the 403 verification_required refusal with the challenge', () => {
    const error = verificationRequired({ id: 'c1', channel: 'email', expiresAt: 1000 });
    expect(error.status).toBe(403);
    expect(error.code).toBe('verification_required');
    expect(error.details).toEqual({ challenge: { id: 'c1', channel: 'email', expiresAt: 1000 } });
  });
});

describe('client info', () => {
  it('normalises IPv4-mapped IPv6 and falls back to the socket', () => {
    expect(normaliseIp('::FFFF:192.0.2.1')).toBe('192.0.2.1');
    expect(normaliseIp('2001:DB8::1')).toBe('2001:db8::1');
    expect(getClientInfo(req({}))).toEqual({ ip: '10.0.0.1' });
  });

  it('prefers what request-guard resolved', () => {
    const r = req({});
    setClientInfo(r, { ip: '203.0.113.9', country: 'DE' });
    expect(getClientInfo(r)).toEqual({ ip: '203.0.113.9', country: 'DE' });
  });
});
