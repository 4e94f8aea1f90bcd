/** A limit and the fixed window it applies to. */
export interface LimitPreset {
  /** Requests (or request weight) allowed per window. */
  readonly limit: number;
  /** The fixed window, in milliseconds. */
  readonly windowMs: number;
}

const minute = 60_000;

/**
 * The documented budgets per endpoint class, per client IP (IPv6: per /56). A limiter whose `name` is one of these
 * takes its `limit` and `windowMs` from here unless the options say otherwise. The README explains each choice.
 */
export const rateLimitPresets = Object.freeze({
  /** Password sign-in: enough for typos, far too few for guessing. */
  login: Object.freeze({ limit: 10, windowMs: 15 * minute }),
  /** Account creation: a household behind one NAT, not a sign-up farm. */
  register: Object.freeze({ limit: 5, windowMs: 60 * minute }),
  /** Reset e-mails: each one lands in someone's inbox. */
  passwordReset: Object.freeze({ limit: 5, windowMs: 60 * minute }),
  /** SMS codes cost money per message and are a toll-fraud target: tightly limited. */
  smsOtp: Object.freeze({ limit: 3, windowMs: 15 * minute }),
  /** Browsers send CSP reports in bursts from a page with a broken policy. */
  cspReports: Object.freeze({ limit: 100, windowMs: minute }),
  /** Every other API call. */
  api: Object.freeze({ limit: 300, windowMs: minute }),
  /** Session-key establishment: an RSA unwrap each, so CPU-bound. */
  sessionKey: Object.freeze({ limit: 30, windowMs: 15 * minute }),
  /** OAuth redirects and callbacks. */
  oauth: Object.freeze({ limit: 30, windowMs: 15 * minute }),
} satisfies Record<string, LimitPreset>);

export type PresetName = keyof typeof rateLimitPresets;

export function presetFor(name: string): LimitPreset | undefined {
  return Object.hasOwn(rateLimitPresets, name) ? rateLimitPresets[name as PresetName] : undefined;
}
