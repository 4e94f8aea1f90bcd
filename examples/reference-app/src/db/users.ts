import { randomUUID } from 'node:crypto';
import { sql, type Transaction, type Updateable } from 'kysely';
import { newReferralCode, type NewUser, type User, type UserRepository } from '../users.js';
import type { Db, Tables, UsersTable } from './schema.js';
import { isUuid } from './ids.js';
import { kekIdOf } from './sealed.js';
import { transactionScope, type TransactionScope } from './transaction-scope.js';

/** PostgreSQL's unique_violation: the constraint, not a JavaScript check, decides who got the e-mail. */
export const isUniqueViolation = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';

const constraintOf = (error: unknown): string => {
  const { constraint, message } = error as { constraint?: unknown; message?: unknown };
  return typeof constraint === 'string' ? constraint : typeof message === 'string' ? message : '';
};

function splitIdentity(identity: string): { provider: string; subject: string } {
  const at = identity.indexOf(':');
  if (at <= 0)
    throw new Error(`reference-app: an identity is provider:subject, got ${JSON.stringify(identity)}`);
  return { provider: identity.slice(0, at), subject: identity.slice(at + 1) };
}

interface UserRow {
  id: string;
  email: string;
  email_verified: boolean;
  password_hash: string | null;
  referral_code: string;
  referred_by: string | null;
  created_at: Date;
  phone: string | null;
  phone_verified_at: Date | null;
  identities: string[] | null;
  mfa_device_id: string | null;
  mfa_sealed_secret: string | null;
  mfa_enabled_at: Date | null;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    emailVerified: row.email_verified,
    ...(row.password_hash !== null ? { passwordHash: row.password_hash } : {}),
    referralCode: row.referral_code,
    ...(row.referred_by !== null ? { referredBy: row.referred_by } : {}),
    createdAt: new Date(row.created_at).getTime(),
    identities: row.identities ?? [],
    ...(row.phone !== null && row.phone_verified_at !== null
      ? { phone: { number: row.phone, verifiedAt: new Date(row.phone_verified_at).getTime() } }
      : {}),
    ...(row.mfa_device_id !== null && row.mfa_sealed_secret !== null && row.mfa_enabled_at !== null
      ? {
          mfa: {
            secret: row.mfa_sealed_secret,
            deviceId: row.mfa_device_id,
            enabledAt: new Date(row.mfa_enabled_at).getTime(),
          },
        }
      : {}),
  };
}

type Runner = Db | Transaction<Tables>;

/** One query: the user, its identities and its MFA binding. */
function selectUsers(db: Runner) {
  return db
    .selectFrom('users as u')
    .leftJoin('mfa_bindings as m', 'm.user_id', 'u.id')
    .select([
      'u.id',
      'u.email',
      'u.email_verified',
      'u.password_hash',
      'u.referral_code',
      'u.referred_by',
      'u.created_at',
      'u.phone',
      'u.phone_verified_at',
      'm.device_id as mfa_device_id',
      'm.sealed_secret as mfa_sealed_secret',
      'm.enabled_at as mfa_enabled_at',
      sql<string[] | null>`(select array_agg(i.provider || ':' || i.subject order by i.linked_at, i.provider)
        from user_identities i where i.user_id = u.id)`.as('identities'),
    ]);
}

async function linkIdentities(tx: Runner, userId: string, identities: string[], at: Date): Promise<boolean> {
  for (const identity of identities) {
    const { provider, subject } = splitIdentity(identity);
    const linked = await tx
      .insertInto('user_identities')
      .values({ provider, subject, user_id: userId, linked_at: at })
      .onConflict((conflict) => conflict.columns(['provider', 'subject']).doNothing())
      .returning('user_id')
      .executeTakeFirst();
    if (!linked) {
      const owner = await tx
        .selectFrom('user_identities')
        .select('user_id')
        .where('provider', '=', provider)
        .where('subject', '=', subject)
        .executeTakeFirst();
      if (owner?.user_id !== userId) return false;
    }
  }
  return true;
}

/** Rolls a transaction back without an error reaching the caller: the repository answers undefined instead. */
class Refused extends Error {}

/**
 * Users on PostgreSQL (or PGlite): e-mail uniqueness, identity uniqueness and referral codes are constraints, so
 * two concurrent registrations of one address leave one row, and two sign-ins of one provider identity one account.
 */
export function sqlUsers(
  db: Db,
  now: () => number = Date.now,
  scope: TransactionScope = transactionScope(db),
): UserRepository {
  const one = async (query: ReturnType<typeof selectUsers>): Promise<User | undefined> => {
    const row: UserRow | undefined = await query.executeTakeFirst();
    return row ? toUser(row) : undefined;
  };

  async function insertUser(
    fields: NewUser,
    within?: (user: User) => Promise<void>,
  ): Promise<User | undefined> {
    const id = randomUUID();
    const at = new Date(now());
    try {
      return await scope.transaction(async (tx) => {
        await tx
          .insertInto('users')
          .values({
            id,
            email: fields.email.toLowerCase(),
            email_verified: fields.emailVerified,
            password_hash: fields.passwordHash ?? null,
            referral_code: newReferralCode(),
            referred_by: fields.referredBy ?? null,
            created_at: at,
            phone: fields.phone?.number ?? null,
            phone_verified_at: fields.phone ? new Date(fields.phone.verifiedAt) : null,
          })
          .execute();
        if (fields.identities && !(await linkIdentities(tx, id, fields.identities, at))) throw new Refused();
        const user = await one(selectUsers(tx).where('u.id', '=', id));
        // In this transaction: what `within` writes through the scope (the verification e-mail) commits with the row.
        if (user && within) await within(user);
        return user;
      });
    } catch (error) {
      if (error instanceof Refused) return undefined;
      if (isUniqueViolation(error)) {
        // A referral code collision (50 bits: rare) is worth one more try; a taken e-mail or identity is not.
        if (constraintOf(error).includes('referral_code')) return insertUser(fields, within);
        return undefined;
      }
      throw error;
    }
  }

  return {
    findById: async (id) => (isUuid(id) ? one(selectUsers(db).where('u.id', '=', id)) : undefined),
    findByEmail: (email) => one(selectUsers(db).where(sql`lower(u.email)`, '=', email.toLowerCase())),
    findByIdentity(identity) {
      const { provider, subject } = splitIdentity(identity);
      return one(
        selectUsers(db).where('u.id', '=', (eb) =>
          eb
            .selectFrom('user_identities')
            .select('user_id')
            .where('provider', '=', provider)
            .where('subject', '=', subject),
        ),
      );
    },
    findByReferralCode: (code) => one(selectUsers(db).where('u.referral_code', '=', code)),
    findByPhone: (number) => one(selectUsers(db).where('u.phone', '=', number)),
    create: insertUser,
    async update(id, change) {
      if (!isUuid(id)) return undefined;
      try {
        return await db.transaction().execute(async (tx) => {
          const columns: Updateable<UsersTable> = {};
          if (change.email !== undefined) columns.email = change.email.toLowerCase();
          if (change.emailVerified !== undefined) columns.email_verified = change.emailVerified;
          if ('passwordHash' in change) columns.password_hash = change.passwordHash ?? null;
          if ('referredBy' in change) columns.referred_by = change.referredBy ?? null;
          const found = await tx
            .updateTable('users')
            .set(Object.keys(columns).length > 0 ? columns : { id })
            .where('id', '=', id)
            .returning('id')
            .executeTakeFirst();
          if (!found) return undefined;
          const at = new Date(now());
          if (change.identities && !(await linkIdentities(tx, id, change.identities, at)))
            throw new Refused();
          if ('mfa' in change) {
            if (change.mfa) {
              const binding = {
                device_id: change.mfa.deviceId,
                sealed_secret: change.mfa.secret,
                kek_id: kekIdOf(change.mfa.secret),
                enabled_at: new Date(change.mfa.enabledAt),
              };
              await tx
                .insertInto('mfa_bindings')
                .values({ user_id: id, ...binding })
                .onConflict((conflict) =>
                  conflict
                    .column('user_id')
                    .doUpdateSet({ ...binding, version: sql`mfa_bindings.version + 1` }),
                )
                .execute();
            } else {
              await tx.deleteFrom('mfa_bindings').where('user_id', '=', id).execute();
            }
          }
          return one(selectUsers(tx).where('u.id', '=', id));
        });
      } catch (error) {
        if (error instanceof Refused || isUniqueViolation(error)) return undefined;
        throw error;
      }
    },
    async recordPhone(id, phone) {
      if (!isUuid(id)) return { ok: false, reason: 'no_such_user' };
      try {
        const found = await db
          .updateTable('users')
          .set({ phone: phone.number, phone_verified_at: new Date(phone.verifiedAt) })
          .where('id', '=', id)
          .returning('id')
          .executeTakeFirst();
        if (!found) return { ok: false, reason: 'no_such_user' };
      } catch (error) {
        if (isUniqueViolation(error) && constraintOf(error).includes('phone'))
          return { ok: false, reason: 'phone_in_use' };
        throw error;
      }
      const user = await one(selectUsers(db).where('u.id', '=', id));
      return user ? { ok: true, user } : { ok: false, reason: 'no_such_user' };
    },
    async referredBy(id) {
      if (!isUuid(id)) return [];
      const rows = (await selectUsers(db)
        .where('u.referred_by', '=', id)
        .orderBy('u.created_at')
        .orderBy('u.id')
        .execute()) as UserRow[];
      return rows.map(toUser);
    },
    async count() {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
