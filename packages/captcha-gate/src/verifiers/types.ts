/**
 * One verification result whatever the provider: what the gate checks (validity, action, hostname, age) and a
 * score on one scale, 0 (bot) to 1 (human).
 */
export interface CaptchaResult {
  /** The provider's name: `recaptcha`, `recaptcha-enterprise`, `hcaptcha` or `turnstile`. */
  provider: string;
  /** The provider accepted the token (`success` / `tokenProperties.valid`). */
  valid: boolean;
  /**
   * Human-likelihood from 0 to 1 (higher is more human). reCAPTCHA's score as is; hCaptcha Enterprise's risk score
   * inverted (`1 - score`); undefined when the provider gives no score (Turnstile, hCaptcha without Enterprise).
   */
  score: number | undefined;
  /** The action the token was created for, when the provider reports one. */
  action: string | undefined;
  /** The site's hostname (or Android package name) the token was solved on. */
  hostname: string | undefined;
  /** When the challenge was solved (epoch milliseconds), when the provider reports it. */
  challengeTime: number | undefined;
  /** The provider's error codes and reasons (`error-codes`, `invalidReason`, `reasons`, `score_reason`). */
  reasons: string[];
}

export interface VerifyContext {
  /** The action the gate expects; sent to providers that take it (reCAPTCHA Enterprise). */
  expectedAction: string;
  /** The client's IP address (`remoteip`, `userIpAddress`). */
  remoteIp?: string;
  userAgent?: string;
  /** Aborts the call: the gate passes one that fires after its timeout. */
  signal: AbortSignal;
}

export interface CaptchaVerifier {
  readonly provider: string;
  /** Whether tokens carry an action the gate can check (hCaptcha's do not). */
  readonly reportsAction: boolean;
  /** How long the provider's tokens live: the gate's default maximum token age. */
  readonly tokenLifetimeMs: number;
  /**
   * Asks the provider about a token. Resolves with the provider's verdict (valid or not); rejects with
   * `CaptchaUnavailableError` when the provider cannot give one (network, timeout, 5xx, our own bad secret).
   */
  verify(token: string, context: VerifyContext): Promise<CaptchaResult>;
}

/** Options every verifier takes. */
export interface VerifierOptions {
  /** The provider's secret key (the API key for reCAPTCHA Enterprise). Required. */
  secret: string;
  /** Replaces the provider's verification URL (tests point it at loopback). Defaults to the provider's. */
  url?: string;
  /** The `fetch` used for the call. Defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
}
