import { sentence, type ApiResult } from './api.js';
import { byId, onSubmit, say, show, valueOf } from './dom.js';

type Send = (headers: Record<string, string>) => Promise<ApiResult>;

const startOver = new Set(['verification_expired', 'verification_used', 'verification_exhausted']);

/**
 * The step-up of docs/guides/step-up.md: a request answered 403 `verification_required` (a low CAPTCHA score, or a
 * limiter over its budget) shows the code form, and the same request is repeated with `X-Verification-Id` and
 * `X-Verification-Code`. Returns `run(send)`, which resolves with the final answer (undefined while a code is due).
 */
export function stepUp(
  formId: string,
  codeFormId: string,
  statusId: string,
  onDone: (result: ApiResult) => void,
): (send: Send, headers: Record<string, string>) => Promise<void> {
  const form = byId<HTMLFormElement>(formId);
  const codeForm = byId<HTMLFormElement>(codeFormId);
  const status = byId(statusId);
  const sent = byId(`${codeFormId}-sent`);
  let pending: { send: Send; id: string } | undefined;

  const settle = (result: ApiResult, send: Send): void => {
    if (result.ok) {
      pending = undefined;
      show(codeForm, false);
      onDone(result);
      return;
    }
    const error = result.error;
    if (error?.code === 'verification_required' && error.challenge) {
      pending = { send, id: error.challenge.id };
      say(
        sent,
        `We sent a 6-digit code by ${error.challenge.channel === 'sms' ? 'SMS' : 'e-mail'}. Enter it below.`,
      );
      show(form, false);
      show(codeForm);
      say(status, '');
      (codeForm.elements.namedItem('code') as HTMLInputElement).focus();
      return;
    }
    if (error && startOver.has(error.code)) {
      pending = undefined;
      show(codeForm, false);
      show(form);
    }
    onDone(result);
  };

  onSubmit(codeForm, async () => {
    if (!pending) return;
    const { send, id } = pending;
    const result = await send({ 'X-Verification-Id': id, 'X-Verification-Code': valueOf(codeForm, 'code') });
    if (!result.ok && result.error?.code === 'verification_failed') {
      say(status, sentence(result.error), 'error');
      return;
    }
    settle(result, send);
  });

  return async (send, headers) => settle(await send(headers), send);
}
