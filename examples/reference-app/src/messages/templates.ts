import type { EmailContent, SmsContent } from './message.js';

// The app's messages, in plain text and HTML. Small on purpose: one paragraph, one link or code, and why the person
// got it. Links carry their token in the fragment, so it never reaches a server log or a Referer header.

const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function email(
  to: string,
  subject: string,
  paragraphs: string[],
  action?: { label: string; url: string },
): EmailContent {
  const text = [...paragraphs, ...(action ? [`${action.label}: ${action.url}`] : [])].join('\n\n');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">',
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(action ? [`<p><a href="${escapeHtml(action.url)}">${escapeHtml(action.label)}</a></p>`] : []),
    '</body></html>',
  ].join('\n');
  return { channel: 'email', to, subject, text: text + '\n', html };
}

export function verificationEmail(origin: string, to: string, token: string): EmailContent {
  const url = `${origin}/verify-email#token=${token}`;
  return email(
    to,
    'Confirm your e-mail address',
    [`Confirm your address for ${origin}.`, 'The link works once, for 24 hours.'],
    { label: 'Confirm your address', url },
  );
}

export function alreadyRegisteredEmail(origin: string, to: string): EmailContent {
  return email(
    to,
    'You already have an account',
    [
      `Someone tried to register at ${origin} with this address, which already has an account.`,
      'If it was you, sign in or reset your password. If not, you can ignore this e-mail.',
    ],
    { label: 'Reset your password', url: `${origin}/reset-password` },
  );
}

export function resetEmail(origin: string, to: string, token: string, minutes: number): EmailContent {
  return email(
    to,
    'Reset your password',
    [
      `Someone asked to reset the password of your account at ${origin}.`,
      `The link works once, for ${minutes} minutes. If you did not ask for it, ignore this e-mail.`,
    ],
    { label: 'Choose a new password', url: `${origin}/reset-password#token=${token}` },
  );
}

export function codeEmail(
  origin: string,
  to: string,
  code: string,
  purpose: string,
  minutes: number,
): EmailContent {
  return email(to, 'Your verification code', [
    `Your code to ${purpose} at ${origin} is ${code}.`,
    `It expires in ${minutes} minutes. If you did not ask for it, ignore this e-mail.`,
  ]);
}

export function codeSms(to: string, code: string, purpose: string, minutes: number): SmsContent {
  return {
    channel: 'sms',
    to,
    text: `${code} is your verification code to ${purpose}. It expires in ${minutes} minutes.`,
  };
}
