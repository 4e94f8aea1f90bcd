import { randomBytes } from 'node:crypto';
import { envelopeSealer } from '@shieldwall/wallet-crypto';
import type { OpsScenario } from '../types.js';

// Sealing and opening a 32-byte wallet key with a local KEK: fresh data key, AES-256-GCM data and wrap, context AAD.
const context = {
  userId: 'u_1',
  walletId: '7f1c2a9e-3b5d-4c8e-9a0f-1d2e3f4a5b6c',
  purpose: 'wallet-signing-key',
};
const ring = () =>
  envelopeSealer({
    keks: [
      { id: 'k2', key: randomBytes(32) },
      { id: 'k1', key: randomBytes(32) },
    ],
  });

const encrypt: OpsScenario = {
  kind: 'ops',
  name: 'wallet-crypto-encrypt',
  group: 'wallet-crypto',
  description: 'envelopeSealer.seal of a 32-byte private key (new DEK, AES-256-GCM, wrap under a local KEK)',
  async setup() {
    const sealer = ring();
    const key = randomBytes(32);
    return { op: () => sealer.seal(key, context) };
  },
};

const decrypt: OpsScenario = {
  kind: 'ops',
  name: 'wallet-crypto-decrypt',
  group: 'wallet-crypto',
  description: 'envelopeSealer.open of a sealed 32-byte private key (parse, unwrap, AES-256-GCM open, zero)',
  async setup() {
    const sealer = ring();
    const sealed = await sealer.seal(randomBytes(32), context);
    return { op: async () => (await sealer.open(sealed, context)).fill(0) };
  },
};

const rewrap: OpsScenario = {
  kind: 'ops',
  name: 'wallet-crypto-rewrap',
  group: 'wallet-crypto',
  description: 'envelopeSealer.rewrap from a retired KEK to the current one (unwrap and wrap the DEK only)',
  async setup() {
    const old = { id: 'k1', key: randomBytes(32) };
    const sealed = await envelopeSealer({ keks: [old] }).seal(randomBytes(32), context);
    const sealer = envelopeSealer({ keks: [{ id: 'k2', key: randomBytes(32) }, old] });
    return { op: () => sealer.rewrap(sealed) };
  },
};

export const scenarios = [encrypt, decrypt, rewrap];
