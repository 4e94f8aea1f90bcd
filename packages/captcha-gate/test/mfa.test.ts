import express from 'express';
import request from 'supertest';
import { Secret, TOTP } from 'otpauth';
import { errorHandler, manualClock, memoryStore } from '@shieldwall/core';
import { mfaDevices, type BoundDevice } from '../src/index.js';

const clock = manualClock(Date.UTC(2026, 0, 1, 12));
const store = memoryStore({ clock });
afterAll(() => store.close());

const codeFor = (secret: string, at = clock.now()) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: at });
const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
let user = 0;
const nextUser = () => `user-${(user += 1)}`;

function devicesFor() {
  return mfaDevices({ store, issuer: 'Shieldwall', clock });
}

describe('mfaDevices: enrolment', () => {
  it('issues an RFC 6238 secret and otpauth URI, and binds the device on its first right code', async () => {
    const devices = devicesFor();
    const userId = nextUser();
    const started = await devices.begin(userId, 'phone-1234567', 'ann@example.com');
    expect(started.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(started.uri).toBe(
      `otpauth://totp/Shieldwall:ann%40example.com?issuer=Shieldwall&secret=${started.secret}&algorithm=SHA1&digits=6&period=30`,
    );
    const bound = await devices.confirm(userId, 'phone-1234567', codeFor(started.secret));
    expect(bound).toEqual({ secret: started.secret, deviceId: 'phone-1234567' });
    // The pending enrolment is gone: confirming twice fails.
    await expect(
      devices.confirm(userId, 'phone-1234567', codeFor(started.secret, clock.now() + 30_000)),
    ).rejects.toMatchObject({
      status: 409,
      code: 'mfa_enrollment_not_started',
    });
  });

  it('refuses a wrong code, another device id, and an expired enrolment', async () => {
    const devices = devicesFor();
    const userId = nextUser();
    const started = await devices.begin(userId, 'phone-aaaaaaaa', 'ann');
    const code = codeFor(started.secret);
    await expect(devices.confirm(userId, 'phone-aaaaaaaa', wrongCode(code))).rejects.toMatchObject({
      status: 403,
      code: 'mfa_code_invalid',
    });
    await expect(devices.confirm(userId, 'phone-bbbbbbbb', code)).rejects.toMatchObject({
      status: 403,
      code: 'mfa_code_invalid',
    });
    clock.advance(600_000);
    await expect(devices.confirm(userId, 'phone-aaaaaaaa', codeFor(started.secret))).rejects.toMatchObject({
      code: 'mfa_enrollment_not_started',
    });
  });

  it('rejects implausible device ids', async () => {
    await expect(devicesFor().begin(nextUser(), 'x', 'ann')).rejects.toMatchObject({
      status: 400,
      code: 'invalid_device_id',
    });
  });
});

describe('mfaDevices: requireBoundDevice', () => {
  let bound: BoundDevice;
  let userId: string;
  const devices = devicesFor();
  const users = new Map<string, BoundDevice | undefined>();
  const reached: string[] = [];
  const app = express();
  app.post(
    '/join',
    devices.requireBoundDevice((req) => {
      const id = String(req.headers['x-user'] ?? '');
      return users.has(id) ? { userId: id, device: users.get(id) } : undefined;
    }),
    (req, res) => {
      reached.push(String(req.headers['x-user']));
      res.json({ joined: true });
    },
  );
  app.use(errorHandler());
  const join = (user: string, deviceId?: string, code?: string) => {
    const r = request(app).post('/join').set('x-user', user);
    if (deviceId) r.set('x-mfa-device-id', deviceId);
    if (code) r.set('x-mfa-code', code);
    return r;
  };

  beforeEach(async () => {
    userId = nextUser();
    const started = await devices.begin(userId, 'device-0000001', 'u');
    bound = await devices.confirm(userId, 'device-0000001', codeFor(started.secret));
    users.set(userId, bound);
    reached.length = 0;
    clock.advance(60_000); // past the enrolment code's step
  });

  it('lets users without MFA through, and refuses when there is no user', async () => {
    users.set('plain', undefined);
    await join('plain').expect(200);
    const res = await join('nobody');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('mfa_device_required');
  });

  it('admits the bound device with a current code', async () => {
    await join(userId, 'device-0000001', codeFor(bound.secret)).expect(200);
    expect(reached).toEqual([userId]);
  });

  it('refuses a missing header, another device, a wrong code and a reused code with 403 mfa_device_required', async () => {
    const code = codeFor(bound.secret);
    for (const [deviceId, answer] of [
      [undefined, code],
      ['device-0000001', undefined],
      ['device-9999999', code],
      ['device-0000001', wrongCode(code)],
    ] as const) {
      const res = await join(userId, deviceId, answer);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('mfa_device_required');
    }
    await join(userId, 'device-0000001', code).expect(200);
    const replay = await join(userId, 'device-0000001', code);
    expect(replay.status).toBe(403);
    expect(replay.body.error.code).toBe('mfa_device_required');
    expect(reached).toEqual([userId]);
  });

  it('locks out after 5 wrong codes (429 mfa_attempts_exceeded), even for the right code, until the window passes', async () => {
    const code = codeFor(bound.secret);
    for (let i = 0; i < 5; i += 1) await join(userId, 'device-0000001', wrongCode(code)).expect(403);
    const locked = await join(userId, 'device-0000001', code);
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('mfa_attempts_exceeded');
    expect(locked.headers['retry-after']).toBe('900');
    expect(reached).toEqual([]);
    clock.advance(900_000);
    await join(userId, 'device-0000001', codeFor(bound.secret)).expect(200);
  });

  it('does not count requests that offer no proof at all towards the lockout', async () => {
    for (let i = 0; i < 8; i += 1) await join(userId).expect(403);
    await join(userId, 'device-0000001', codeFor(bound.secret)).expect(200);
  });
});
