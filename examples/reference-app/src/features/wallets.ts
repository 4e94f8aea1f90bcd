import { randomUUID } from 'node:crypto';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { ShieldwallError, wrapAsync } from '@shieldwall/core';
import { leakGuard, zeroize } from '@shieldwall/wallet-crypto';
import type { User } from '../users.js';
import { addressOf, newSecretKey, signPersonalMessage } from '../wallets/keys.js';
import type { WalletRecord } from '../wallets/repository.js';
import { startWalletRotation } from '../wallets/rotation.js';
import type { Feature } from './feature.js';

/** The purpose every wallet key is sealed for; part of the context, with the user and wallet ids. */
export const walletKeyPurpose = 'wallet-signing-key';
const maxWalletsPerUser = 20;
const maxMessageBytes = 16 * 1024;

export const walletKeyContext = (userId: string, walletId: string) =>
  ({ userId, walletId, purpose: walletKeyPurpose }) as const;

const view = (wallet: WalletRecord) => ({
  id: wallet.id,
  address: wallet.address,
  createdAt: new Date(wallet.createdAt).toISOString(),
});

const walletNotFound = () => new ShieldwallError(404, 'wallet_not_found', 'No such wallet.');

/** `{"message": "text"}` (UTF-8) or `{"messageHex": "0x..."}` (bytes), at most 16 KiB. */
function messageBytes(body: unknown): Buffer {
  const invalid = new ShieldwallError(
    400,
    'invalid_message',
    `Send {"message": text} or {"messageHex": "0x..."} of 1 to ${maxMessageBytes} bytes.`,
  );
  if (typeof body !== 'object' || body === null) throw invalid;
  const { message, messageHex } = body as { message?: unknown; messageHex?: unknown };
  let bytes: Buffer;
  if (typeof message === 'string' && messageHex === undefined) {
    bytes = Buffer.from(message, 'utf8');
  } else if (typeof messageHex === 'string' && message === undefined) {
    if (!/^0x(?:[0-9a-fA-F]{2})+$/.test(messageHex)) throw invalid;
    bytes = Buffer.from(messageHex.slice(2), 'hex');
  } else {
    throw invalid;
  }
  if (bytes.length === 0 || bytes.length > maxMessageBytes) throw invalid;
  return bytes;
}

const currentUser = (res: Response): User => (res.locals as { user: User }).user;

/**
 * Routes (bodies and answers are JSON inside the encrypted channel's envelopes):
 * - `POST /api/wallets` `{}` → 201 `{"wallet": {"id", "address", "createdAt"}}` (409 `wallet_limit_reached`).
 * - `GET /api/wallets` → 200 `{"wallets": [{"id", "address", "createdAt"}]}`, oldest first.
 * - `POST /api/wallets/:id/sign` `{"message": "text"}` or `{"messageHex": "0x..."}` → 200
 *   `{"address", "standard": "eip-191", "digest": "0x<32 bytes>", "signature": "0x<r s v, 65 bytes>"}`: the
 *   `personal_sign` signature, v = 27 or 28 (400 `invalid_message`, 404 `wallet_not_found`).
 *
 * Wallets (000: "private keys for crypto wallets are encrypted at rest"). A wallet's secp256k1 key is sealed with
 * @shieldwall/wallet-crypto under the WALLET_KEKS ring, bound to its user, its id and its purpose, and only the
 * sealed string is stored. Signing opens it in memory, signs, and zeroes it. Every route needs a signed-in user
 * and the encrypted channel (SPEC.md), and a leak guard refuses any response that would carry a key.
 */
export const mountWallets: Feature = async (app, services, guards) => {
  const { wallets, logger, clock } = services;
  const { sealer } = services;
  const router = Router();
  // Read the guards per request, so the order in which features replace them does not matter. They run per route,
  // not as router.use: a method or path with no route answers 404 without the channel opening (and spending) its
  // envelope (docs/protocols/key-exchange.md, section 6).
  const guarded = [
    function walletAuth(req: Request, res: Response, next: NextFunction) {
      guards.requireAuth(req, res, next);
    },
    function walletChannel(req: Request, res: Response, next: NextFunction) {
      guards.requireChannel(req, res, next);
    },
    leakGuard({ logger }),
  ];

  router.post(
    '/',
    ...guarded,
    wrapAsync(async function createWallet(req, res) {
      const user = currentUser(res);
      if ((await wallets.countByUser(user.id)) >= maxWalletsPerUser) {
        throw new ShieldwallError(
          409,
          'wallet_limit_reached',
          `At most ${maxWalletsPerUser} wallets per user.`,
        );
      }
      const id = randomUUID();
      const secretKey = newSecretKey();
      let record: WalletRecord;
      try {
        record = {
          id,
          userId: user.id,
          address: addressOf(secretKey),
          createdAt: clock.now(),
          sealedKey: await sealer.seal(secretKey, walletKeyContext(user.id, id)),
        };
      } finally {
        zeroize(secretKey);
      }
      await wallets.create(record);
      logger.info('wallet created', { userId: user.id, walletId: id, address: record.address });
      res.status(201).json({ wallet: view(record) });
    }),
  );

  router.get(
    '/',
    ...guarded,
    wrapAsync(async function listWallets(req, res) {
      const list = await wallets.listByUser(currentUser(res).id);
      res.json({ wallets: list.map(view) });
    }),
  );

  router.post(
    '/:id/sign',
    ...guarded,
    wrapAsync(async function signWithWallet(req, res) {
      const user = currentUser(res);
      const wallet = await wallets.find(String(req.params.id));
      // Someone else's wallet answers exactly like a missing one.
      if (!wallet || wallet.userId !== user.id) throw walletNotFound();
      const message = messageBytes(req.body);
      const secretKey = await sealer.open(wallet.sealedKey, walletKeyContext(user.id, wallet.id));
      let signed: { digest: string; signature: string };
      try {
        signed = signPersonalMessage(message, secretKey);
      } finally {
        zeroize(secretKey);
      }
      logger.info('wallet signed a message', { userId: user.id, walletId: wallet.id });
      res.json({ address: wallet.address, standard: 'eip-191', ...signed });
    }),
  );

  app.use('/api/wallets', router);

  // With more than one KEK configured, re-wrap existing keys under the first one in the background.
  const rotation = startWalletRotation(services, sealer);
  return async () => {
    rotation.stop();
    await rotation.done;
  };
};
