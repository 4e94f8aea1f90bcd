import { randomBytes, randomUUID } from 'node:crypto';

/** A phone number the user proved (an SMS code) or a provider vouched for (Telegram): E.164, with when. */
export interface VerifiedPhone {
  number: string;
  verifiedAt: number;
}

export interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  /** bcrypt hash; absent for users who only sign in through a provider. */
  passwordHash?: string;
  createdAt: number;
  /** This user's own code, for the link others register with (000: referrals). */
  referralCode: string;
  /** Who referred this user (000: referrals list with masked e-mails). */
  referredBy?: string;
  /** Sign-in identities at OAuth providers: `${provider}:${subject}`. */
  identities: string[];
  /** Once set, activities are joinable only from this device (002). `secret` is sealed (see mfa-secrets.ts). */
  mfa?: { secret: string; deviceId: string; enabledAt: number };
  /** At most one, and no other account holds the same number (issue 18). */
  phone?: VerifiedPhone;
}

/** What recording a verified phone number came to: the number belongs to one account at most. */
export type PhoneRecorded = { ok: true; user: User } | { ok: false; reason: 'phone_in_use' | 'no_such_user' };

export type NewUser = Omit<User, 'id' | 'createdAt' | 'identities' | 'referralCode'> &
  Partial<Pick<User, 'identities'>>;

/**
 * The user repository. The app's is PostgreSQL (or PGlite) through ./db/users.ts; `memoryUsers` below is a test
 * double for tests that need no database. E-mails are stored lower-cased, so lookups are case-insensitive.
 */
export interface UserRepository {
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
  /** `${provider}:${subject}` */
  findByIdentity(identity: string): Promise<User | undefined>;
  findByReferralCode(code: string): Promise<User | undefined>;
  /** The account holding this verified E.164 number. */
  findByPhone(number: string): Promise<User | undefined>;
  /**
   * Creates a user with its identities (and verified phone), all or nothing; undefined when the e-mail, an identity
   * or the phone number is taken.
   * `within` runs in the same transaction once the row is written: the outbox messages it sends commit with the
   * user, and if it throws, nothing is written (the error reaches the caller).
   */
  create(fields: NewUser, within?: (user: User) => Promise<void>): Promise<User | undefined>;
  /**
   * Changes a user in one transaction. `identities` adds the ones not yet linked (never removes); `mfa: undefined`
   * unbinds the device. Undefined when there is no such user, or the e-mail or an identity belongs to another.
   */
  update(
    id: string,
    change: Partial<Omit<User, 'id' | 'createdAt' | 'referralCode' | 'phone'>>,
  ): Promise<User | undefined>;
  /**
   * Sets the user's verified phone number, replacing any other it had. Refused, with nothing changed, when another
   * account holds the number: the unique index decides, so two accounts racing for one number cannot both win.
   */
  recordPhone(id: string, phone: VerifiedPhone): Promise<PhoneRecorded>;
  referredBy(id: string): Promise<User[]>;
  count(): Promise<number>;
}

const referralAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Ten characters of Crockford's base32 (50 bits): short enough to type, unguessable enough to not enumerate. */
export function newReferralCode(): string {
  let code = '';
  for (const byte of randomBytes(10)) code += referralAlphabet[byte & 31];
  return code;
}

/** A test double: the same contract in memory, for tests that exercise no database. */
export function memoryUsers(now: () => number = Date.now): UserRepository {
  const byId = new Map<string, User>();
  const copy = (user: User | undefined): User | undefined => (user ? structuredClone(user) : undefined);
  const find = (predicate: (user: User) => boolean): User | undefined => {
    for (const user of byId.values()) if (predicate(user)) return user;
    return undefined;
  };
  return {
    async findById(id) {
      return copy(byId.get(id));
    },
    async findByEmail(email) {
      const wanted = email.toLowerCase();
      return copy(find((user) => user.email === wanted));
    },
    async findByIdentity(identity) {
      return copy(find((user) => user.identities.includes(identity)));
    },
    async findByReferralCode(code) {
      return copy(find((user) => user.referralCode === code));
    },
    async findByPhone(number) {
      return copy(find((user) => user.phone?.number === number));
    },
    async create(fields, within) {
      const email = fields.email.toLowerCase();
      if (find((user) => user.email === email)) return undefined;
      if (fields.identities?.some((identity) => find((user) => user.identities.includes(identity))))
        return undefined;
      if (fields.phone && find((user) => user.phone?.number === fields.phone?.number)) return undefined;
      const user: User = {
        identities: [],
        ...structuredClone(fields),
        email,
        id: randomUUID(),
        referralCode: newReferralCode(),
        createdAt: now(),
      };
      if (within) await within(copy(user)!);
      byId.set(user.id, user);
      return copy(user);
    },
    async update(id, change) {
      const user = byId.get(id);
      if (!user) return undefined;
      const next = { ...user, ...structuredClone(change), id: user.id, createdAt: user.createdAt };
      if (change.email) next.email = change.email.toLowerCase();
      if (find((other) => other.id !== id && other.email === next.email)) return undefined;
      if (change.identities) {
        const added = change.identities.filter((identity) => !user.identities.includes(identity));
        if (added.some((identity) => find((other) => other.identities.includes(identity)))) return undefined;
        next.identities = [...user.identities, ...added];
      }
      byId.set(id, next);
      return copy(next);
    },
    async recordPhone(id, phone) {
      const user = byId.get(id);
      if (!user) return { ok: false, reason: 'no_such_user' };
      if (find((other) => other.id !== id && other.phone?.number === phone.number))
        return { ok: false, reason: 'phone_in_use' };
      user.phone = { ...phone };
      return { ok: true, user: copy(user)! };
    },
    async referredBy(id) {
      return [...byId.values()].filter((user) => user.referredBy === id).map((user) => structuredClone(user));
    },
    async count() {
      return byId.size;
    },
  };
}
