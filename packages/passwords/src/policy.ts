import {
  ShieldwallError,
  checkOptionNames,
  configError,
  positiveInteger,
  type OptionNames,
} from '@shieldwall/core';

const packageName = '@shieldwall/passwords';

/** bcrypt reads at most 72 bytes; anything longer would be silently cut, so it is refused instead. */
export const maxPasswordBytes = 72;

/**
 * An extra rule (a breached-password list, a zxcvbn score, ...). Return a message for the user when the password
 * is refused (it must not contain the password), or undefined to accept it.
 */
export type PasswordCheck = (password: string) => string | undefined | Promise<string | undefined>;

export interface PasswordPolicyOptions {
  /** The fewest characters (Unicode code points) a new password may have. Defaults to 12. */
  minLength?: number;
  /** Extra rules, run in order after the length rules. Defaults to none. */
  checks?: readonly PasswordCheck[];
}

const policyOptionNames: OptionNames<PasswordPolicyOptions> = { minLength: true, checks: true };

export interface PasswordPolicy {
  readonly minLength: number;
  /** Resolves when the password may be set; rejects with a 400 ShieldwallError otherwise. */
  validate(password: string): Promise<void>;
}

export function passwordTooLong(): ShieldwallError {
  return new ShieldwallError(
    400,
    'password_too_long',
    `Passwords may be at most ${maxPasswordBytes} bytes in UTF-8; choose a shorter one.`,
    { details: { maxBytes: maxPasswordBytes } },
  );
}

export function passwordPolicy(options: Readonly<PasswordPolicyOptions> = {}): PasswordPolicy {
  checkOptionNames(packageName, 'passwordPolicy()', options, policyOptionNames);
  const minLength = positiveInteger(packageName, 'minLength', options.minLength, 12);
  if (minLength > maxPasswordBytes)
    throw configError(packageName, 'minLength', minLength, `pass at most ${maxPasswordBytes}.`);
  const checks = [...(options.checks ?? [])];
  for (const check of checks)
    if (typeof check !== 'function')
      throw configError(packageName, 'checks', check, 'pass functions (password) => message | undefined.');

  return {
    minLength,
    async validate(password) {
      if (typeof password !== 'string')
        throw new ShieldwallError(400, 'invalid_request', 'The password must be a string.');
      if (Buffer.byteLength(password, 'utf8') > maxPasswordBytes) throw passwordTooLong();
      if ([...password].length < minLength)
        throw new ShieldwallError(
          400,
          'password_too_short',
          `Passwords must have at least ${minLength} characters.`,
          { details: { minLength } },
        );
      for (const check of checks) {
        const reason = await check(password);
        if (reason !== undefined) throw new ShieldwallError(400, 'password_rejected', reason);
      }
    },
  };
}
