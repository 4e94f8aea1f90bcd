import { sql } from 'kysely';
import { envelopeKekId } from '@shieldwall/wallet-crypto';
import type { Db } from './schema.js';

/** The KEK id a sealed value names; stored beside it so "how much is still under the old KEK" is one query. */
export function kekIdOf(sealed: string): string {
  const id = envelopeKekId(sealed);
  if (id === undefined)
    throw new Error('reference-app: refusing to store a value that is not a sealed envelope');
  return id;
}

/** A column of sealed values (wallet keys, TOTP secrets, app-version keys): what a KEK rotation walks and re-wraps. */
export interface SealedColumn {
  /** `table.column`, for logs and the rotation cursor. */
  name: string;
  /** Every sealed value in id order after `cursor`. */
  scan(cursor: string | undefined): AsyncIterable<{ id: string; sealed: string }>;
  /** Compare-and-set: replaces the value only if it is still `expected`; false otherwise. */
  replace(id: string, expected: string, next: string): Promise<boolean>;
}

const batch = 500;

/**
 * Every sealed column of the schema, once: the rotation and the count of step 5 both read this list, so a column
 * added here is re-wrapped and counted. Tables and columns are fixed here, never from input. `uuidKey`: the row key
 * is a UUID (app-version keys use their text kid); `versioned`: the row has a `version` to bump.
 */
const sealedColumns = [
  { table: 'wallets', id: 'id', value: 'sealed_key', uuidKey: true, versioned: true },
  { table: 'mfa_bindings', id: 'user_id', value: 'sealed_secret', uuidKey: true, versioned: true },
  // No row version: the compare on the sealed value is the compare-and-set.
  { table: 'app_version_keys', id: 'kid', value: 'sealed_private_key', uuidKey: false, versioned: false },
] as const;

/** The sealed columns of the schema, on one database. */
export function sqlSealedColumns(db: Db): SealedColumn[] {
  return sealedColumns.map(({ table, id, value, uuidKey, versioned }): SealedColumn => {
    const key = (text: string) => (uuidKey ? sql`${text}::uuid` : sql`${text}`);
    return {
      name: `${table}.${value}`,
      async *scan(cursor) {
        let after = cursor;
        for (;;) {
          const rows = await sql<{ id: string; sealed: string }>`
            select ${sql.ref(id)}::text as id, ${sql.ref(value)} as sealed from ${sql.table(table)}
            where ${after === undefined ? sql`true` : sql`${sql.ref(id)} > ${key(after)}`}
            order by ${sql.ref(id)} limit ${batch}`.execute(db);
          for (const row of rows.rows) yield row;
          if (rows.rows.length < batch) return;
          after = rows.rows[rows.rows.length - 1]!.id;
        }
      },
      async replace(rowId, expected, next) {
        const bump = versioned ? sql`, version = version + 1` : sql``;
        const result = await sql`
          update ${sql.table(table)} set ${sql.ref(value)} = ${next}, kek_id = ${kekIdOf(next)}${bump}
          where ${sql.ref(id)} = ${key(rowId)} and ${sql.ref(value)} = ${expected}`.execute(db);
        return Number(result.numAffectedRows ?? 0) === 1;
      },
    };
  });
}

/**
 * Step 5 of docs/guides/kek-rotation.md: per sealed column, how many values are under a KEK other than `kekId`.
 * All must be 0 before the old KEK leaves WALLET_KEKS.
 */
export async function countSealedNotUnder(db: Db, kekId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { table, value } of sealedColumns) {
    const result = await sql<{ n: string | number }>`
      select count(*) as n from ${sql.table(table)} where kek_id <> ${kekId}`.execute(db);
    counts[`${table}.${value}`] = Number(result.rows[0]?.n ?? 0);
  }
  return counts;
}
