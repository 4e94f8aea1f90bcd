import { randomBytes } from 'node:crypto';
import { checkOptionNames, configError, type OptionNames } from '@shieldwall/core';
import { bcryptPool, type BcryptPool } from './bcrypt-pool.js';
import { maxPasswordBytes, passwordPolicy, type PasswordCheck, type PasswordPolicy } from './policy.js';

const packageName = '@shieldwall/passwords';
const bcryptHash = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;

export interface PasswordsOptions {
  /** bcrypt cost (log2 rounds), 4 to 31. Defaults to 12 (about 330 ms on one core). */
  cost?: number;
  /** Worker threads hashing in parallel. Defaults to the number of CPUs minus one, between 1 and 4. */
  poolSize?: number;
  /** Fewest characters of a new password. Defaults to 12. */
  minLength?: number;
  /** Extra rules for new passwords. Defaults to none. */
  checks?: readonly PasswordCheck[];
}

const optionNames: OptionNames<PasswordsOptions> = {
  cost: true,
  poolSize: true,
  minLength: true,
  checks: true,
};

export interface Passwords {
  readonly cost: number;
  readonly policy: PasswordPolicy;
  /** Checks the policy (400 `password_too_short`, `password_too_long`, `password_rejected`), then hashes off the main thread. */
  hash(password: string): Promise<string>;
  /**
   * Equal-time verification: with no hash (unknown account, or one without a password) the password is still
   * checked against a dummy hash made at start-up, so the answer takes as long as for a real account. A password
   * over 72 bytes never matches (it could not have been set) and also costs one verification.
   */
  verify(password: string, hash: string | undefined): Promise<boolean>;
  /** True when the hash was made with another cost than the current one: rehash after a successful sign-in. */
  needsRehash(hash: string): boolean;
  /** Terminates the worker pool. */
  close(): Promise<void>;
}

/** bcrypt passwords with a policy, hashed and verified on a worker pool. */
export function passwords(options: Readonly<PasswordsOptions> = {}): Passwords {
  checkOptionNames(packageName, 'passwords()', options, optionNames, {
    hints: { rounds: 'cost', saltRounds: 'cost', workers: 'poolSize' },
  });
  const cost = options.cost ?? 12;
  // Number.isInteger is false for anything that is not a number (a string '12' from the environment included).
  if (!Number.isInteger(cost) || cost < 4 || cost > 31)
    throw configError(packageName, 'cost', cost, 'pass a whole number from 4 to 31 (12 is the default).');
  const policy = passwordPolicy({
    // Stryker disable next-line ConditionalExpression: an undefined minLength is the policy's default either way
    ...(options.minLength !== undefined ? { minLength: options.minLength } : {}),
    ...(options.checks ? { checks: options.checks } : {}),
  });
  // Stryker disable next-line ConditionalExpression: an undefined size is the pool's default either way
  const pool: BcryptPool = bcryptPool(options.poolSize !== undefined ? { size: options.poolSize } : {});
  let dummy: Promise<string> | undefined;
  const dummyHash = (): Promise<string> => {
    dummy ??= pool.hash(randomBytes(18).toString('base64'), cost);
    return dummy;
  };
  // Made at start-up so the first unknown-account sign-in is not the one that pays for it.
  dummyHash().catch(() => undefined);

  return {
    cost,
    policy,
    async hash(password) {
      await policy.validate(password);
      return pool.hash(password, cost);
    },
    async verify(password, hash) {
      const usable =
        typeof password === 'string' &&
        Buffer.byteLength(password, 'utf8') <= maxPasswordBytes &&
        typeof hash === 'string' &&
        bcryptHash.test(hash);
      if (!usable) {
        // Stryker disable next-line ConditionalExpression,MethodExpression,StringLiteral: the dummy compare only spends the time a real one would; what it compares never decides the answer
        await pool.compare(typeof password === 'string' ? password.slice(0, 72) : '', await dummyHash());
        return false;
      }
      return pool.compare(password, hash);
    },
    needsRehash(hash) {
      const match = bcryptHash.exec(hash);
      return !match || Number(match[1]) !== cost;
    },
    close: () => pool.close(),
  };
}
