export { captchaGate, type CaptchaGate, type CaptchaGateOptions, type ProviderDownPolicy } from './gate.js';
export {
  verificationCodes,
  codeCheckError,
  type VerificationCodes,
  type VerificationCodesOptions,
  type CodeBinding,
  type CodeCheck,
  type CodeMessage,
  type CodeSender,
  type IssuedCode,
} from './codes.js';
export {
  codeChallengeProvider,
  recipientRequired,
  verifiedOnRequest,
  type CodeChallengeProvider,
  type Recipient,
  type RecipientResolver,
} from './challenge-provider.js';
export { requireParticipation, type ParticipationOptions } from './participation.js';
export {
  mfaDevices,
  deviceHeaders,
  type MfaDevices,
  type MfaDevicesOptions,
  type BoundDevice,
  type Enrollment,
} from './mfa.js';
export { recaptchaV3, recaptchaVerifyUrl } from './verifiers/recaptcha.js';
export {
  recaptchaEnterprise,
  recaptchaEnterpriseBaseUrl,
  type RecaptchaEnterpriseOptions,
} from './verifiers/recaptcha-enterprise.js';
export { hcaptcha, hcaptchaVerifyUrl, type HcaptchaOptions } from './verifiers/hcaptcha.js';
export { turnstile, turnstileVerifyUrl } from './verifiers/turnstile.js';
export { CaptchaUnavailableError } from './verifiers/http.js';
export type { CaptchaResult, CaptchaVerifier, VerifierOptions, VerifyContext } from './verifiers/types.js';
