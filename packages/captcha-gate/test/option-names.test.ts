import { memoryStore } from '@shieldwall/core';
import {
  captchaGate,
  hcaptcha,
  mfaDevices,
  recaptchaEnterprise,
  recaptchaV3,
  requireParticipation,
  turnstile,
  verificationCodes,
} from '../src/index.js';

const pkg = '@shieldwall/captcha-gate';

describe('captcha-gate: option names are checked at start-up', () => {
  it('verifiers refuse unknown names, before their other checks', () => {
    expect(() => recaptchaV3({ secretKey: 's' } as never)).toThrow(
      `${pkg}: recaptchaV3() has no option \`secretKey\`; did you mean \`secret\`?`,
    );
    expect(() => turnstile({ secret: 's', fetchImpl: fetch } as never)).toThrow(
      `${pkg}: turnstile() has no option \`fetchImpl\`; did you mean \`fetch\`?`,
    );
    expect(() => hcaptcha({ secret: 's', sitekey: 'k' } as never)).toThrow(
      `${pkg}: hcaptcha() has no option \`sitekey\`; did you mean \`siteKey\`?`,
    );
    expect(() => recaptchaEnterprise({ secret: 's', siteKey: 'k', project: 'p' } as never)).toThrow(
      `${pkg}: recaptchaEnterprise() has no option \`project\`; did you mean \`projectId\`?`,
    );
  });

  it('the gate, codes, MFA devices and participation refuse unknown names', () => {
    const store = memoryStore();
    expect(() => captchaGate({ minScore: 0.5 } as never)).toThrow(
      `${pkg}: captchaGate() has no option \`minScore\`; did you mean \`threshold\`?`,
    );
    expect(() => verificationCodes({ store, send: () => Promise.resolve(), maxAttemps: 3 } as never)).toThrow(
      `${pkg}: verificationCodes() has no option \`maxAttemps\`; did you mean \`maxAttempts\`?`,
    );
    expect(() => mfaDevices({ store, issuer: 'x', maxFailure: 3 } as never)).toThrow(
      `${pkg}: mfaDevices() has no option \`maxFailure\`; did you mean \`maxFailures\`?`,
    );
    expect(() => requireParticipation({ figure: () => 1, threshold: 1, metrics: 'x' } as never)).toThrow(
      `${pkg}: requireParticipation() has no option \`metrics\`; did you mean \`metric\`?`,
    );
    void store.close();
  });
});
