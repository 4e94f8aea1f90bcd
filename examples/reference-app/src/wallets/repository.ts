/** A wallet as stored: the private key only as a sealed envelope (swe1...), bound to user, wallet and purpose. */
export interface WalletRecord {
  id: string;
  userId: string;
  /** EIP-55 checksummed Ethereum address. */
  address: string;
  createdAt: number;
  sealedKey: string;
}

/**
 * Wallet storage, behind an interface so a deployment can put PostgreSQL (DATABASE_URL) under it. Wallets are
 * durable records, not expiring state, so they live here and not in the key-value store.
 */
export interface WalletRepository {
  create(record: WalletRecord): Promise<void>;
  find(id: string): Promise<WalletRecord | undefined>;
  listByUser(userId: string): Promise<WalletRecord[]>;
  countByUser(userId: string): Promise<number>;
  /** Every wallet's sealed key in id order after `cursor`: the record source of a KEK rotation. */
  scanSealedKeys(cursor: string | undefined): AsyncIterable<{ id: string; sealed: string }>;
  /** Compare-and-set: replaces the sealed key only if it is still `expected`; false otherwise. */
  replaceSealedKey(id: string, expected: string, next: string): Promise<boolean>;
}

export function memoryWallets(): WalletRepository & { all(): WalletRecord[] } {
  const byId = new Map<string, WalletRecord>();
  const byUser = (userId: string) =>
    [...byId.values()].filter((wallet) => wallet.userId === userId).sort((a, b) => a.createdAt - b.createdAt);
  return {
    async create(record) {
      if (byId.has(record.id)) throw new Error('wallet id taken');
      byId.set(record.id, structuredClone(record));
    },
    async find(id) {
      const wallet = byId.get(id);
      return wallet ? structuredClone(wallet) : undefined;
    },
    async listByUser(userId) {
      return byUser(userId).map((wallet) => structuredClone(wallet));
    },
    async countByUser(userId) {
      return byUser(userId).length;
    },
    async *scanSealedKeys(cursor) {
      const ids = [...byId.keys()].filter((id) => cursor === undefined || id > cursor).sort();
      for (const id of ids) {
        const wallet = byId.get(id);
        if (wallet) yield { id, sealed: wallet.sealedKey };
      }
    },
    async replaceSealedKey(id, expected, next) {
      const wallet = byId.get(id);
      if (!wallet || wallet.sealedKey !== expected) return false;
      byId.set(id, { ...wallet, sealedKey: next });
      return true;
    },
    /** Every record as stored (tests scan it for plaintext keys). */
    all() {
      return [...byId.values()].map((wallet) => structuredClone(wallet));
    },
  };
}
