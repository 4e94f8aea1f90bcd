import type { WalletRecord, WalletRepository } from '../wallets/repository.js';
import type { Db } from './schema.js';
import { isUuid } from './ids.js';
import { kekIdOf, sqlSealedColumns } from './sealed.js';

interface WalletRow {
  id: string;
  user_id: string;
  address: string;
  sealed_key: string;
  created_at: Date;
}

const toRecord = (row: WalletRow): WalletRecord => ({
  id: row.id,
  userId: row.user_id,
  address: row.address,
  sealedKey: row.sealed_key,
  createdAt: new Date(row.created_at).getTime(),
});

const columns = ['id', 'user_id', 'address', 'sealed_key', 'created_at'] as const;

/** Wallets on PostgreSQL (or PGlite): the sealed key with the id of the KEK it is under and a row version. */
export function sqlWallets(db: Db): WalletRepository {
  const [sealedKeys] = sqlSealedColumns(db);
  return {
    async create(record) {
      await db
        .insertInto('wallets')
        .values({
          id: record.id,
          user_id: record.userId,
          address: record.address,
          sealed_key: record.sealedKey,
          kek_id: kekIdOf(record.sealedKey),
          created_at: new Date(record.createdAt),
        })
        .execute();
    },
    async find(id) {
      if (!isUuid(id)) return undefined;
      const row = await db.selectFrom('wallets').select(columns).where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },
    async listByUser(userId) {
      const rows = await db
        .selectFrom('wallets')
        .select(columns)
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toRecord);
    },
    async countByUser(userId) {
      const row = await db
        .selectFrom('wallets')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    scanSealedKeys: (cursor) => sealedKeys!.scan(cursor),
    replaceSealedKey: (id, expected, next) => sealedKeys!.replace(id, expected, next),
  };
}
