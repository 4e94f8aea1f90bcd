import { randomUUID } from 'node:crypto';

export interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  /** bcrypt hash; absent for users who only sign in through a provider. */
  passwordHash?: string;
  createdAt: number;
  /** Who referred this user (000: referrals list with masked e-mails). */
  referredBy?: string;
  /** Sign-in identities at OAuth providers: `${provider}:${subject}`. */
  identities: string[];
  /** Once set, activities are joinable only from this device (002). `secret` is sealed (see mfa-secrets.ts). */
  mfa?: { secret: string; deviceId: string; enabledAt: number };
  /** 30-day transaction volume, in the platform's smallest currency unit (002's participation threshold). */
  recentVolume: number;
}

/**
 * The user repository, behind an interface so a deployment can put PostgreSQL (DATABASE_URL) under it. The
 * reference app keeps users in memory. E-mails are stored lower-cased, so lookups are case-insensitive.
 */
export interface UserRepository {
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
  findByIdentity(identity: string): Promise<User | undefined>;
  /** Creates a user; undefined when the e-mail is taken. */
  create(
    fields: Omit<User, 'id' | 'createdAt' | 'identities' | 'recentVolume'> &
      Partial<Pick<User, 'identities' | 'recentVolume'>>,
  ): Promise<User | undefined>;
  update(id: string, change: Partial<Omit<User, 'id' | 'createdAt'>>): Promise<User | undefined>;
  referredBy(id: string): Promise<User[]>;
  count(): Promise<number>;
}

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
    async create(fields) {
      const email = fields.email.toLowerCase();
      if (find((user) => user.email === email)) return undefined;
      const user: User = {
        identities: [],
        recentVolume: 0,
        ...structuredClone(fields),
        email,
        id: randomUUID(),
        createdAt: now(),
      };
      byId.set(user.id, user);
      return copy(user);
    },
    async update(id, change) {
      const user = byId.get(id);
      if (!user) return undefined;
      const next = { ...user, ...structuredClone(change), id: user.id, createdAt: user.createdAt };
      if (change.email) next.email = change.email.toLowerCase();
      byId.set(id, next);
      return copy(next);
    },
    async referredBy(id) {
      return [...byId.values()].filter((user) => user.referredBy === id).map((user) => structuredClone(user));
    },
    async count() {
      return byId.size;
    },
  };
}
