export { passwords, type Passwords, type PasswordsOptions } from './passwords.js';
export {
  passwordPolicy,
  passwordTooLong,
  maxPasswordBytes,
  type PasswordCheck,
  type PasswordPolicy,
  type PasswordPolicyOptions,
} from './policy.js';
export { bcryptPool, type BcryptPool, type BcryptPoolOptions } from './bcrypt-pool.js';
export {
  resetTokens,
  type ResetTokens,
  type ResetTokensOptions,
  type ResetDelivery,
} from './reset-tokens.js';
