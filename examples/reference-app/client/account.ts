import { authFetch, resultOf, secure, sentence, jsonHeaders, type ApiResult } from './api.js';
import { byId, element, onSubmit, say, show, valueOf } from './dom.js';
import { drawQr } from './qr.js';

interface Me {
  /** `phone` is masked by the server (`+15•••••••67`); only a verified number is ever recorded. */
  user: { id: string; email: string; emailVerified: boolean; mfaEnabled: boolean; phone: string | null };
}
interface Wallet {
  id: string;
  address: string;
  createdAt: string;
}
interface Activity {
  id: string;
  title: string;
  threshold: number;
  eligible: boolean;
  joined: boolean;
}

const status = byId('account-status');

async function plain<T>(path: string, init: RequestInit = {}): Promise<ApiResult<T>> {
  try {
    return await resultOf<T>(await authFetch(path, init));
  } catch {
    return { ok: false, status: 0, error: { code: 'network', message: 'The network is down. Try again.' } };
  }
}

// The MFA device is this browser: its id is kept here, the secret only in the authenticator app.
function deviceId(): string {
  let id = localStorage.getItem('shieldwall.mfaDevice');
  if (!id) {
    id = `web-${crypto.randomUUID()}`;
    localStorage.setItem('shieldwall.mfaDevice', id);
  }
  return id;
}
let mfaOn = false;

async function signOut(path: string): Promise<void> {
  const result = await plain(path, { method: 'POST' });
  if (result.ok || result.status === 401) window.location.assign('/signin');
  else say(status, sentence(result.error), 'error');
}

async function loadWallets(): Promise<void> {
  const list = byId('wallet-list');
  const select = byId<HTMLSelectElement>('f-wallet');
  const result = await secure<{ wallets: Wallet[] }>('/api/wallets');
  if (!result.ok) return say(byId('wallet-status'), sentence(result.error), 'error');
  const wallets = result.data!.wallets;
  list.replaceChildren(
    ...(wallets.length === 0
      ? [element('li', 'No wallet yet.')]
      : wallets.map((w) =>
          element('li', `${w.address} (created ${new Date(w.createdAt).toLocaleString()})`),
        )),
  );
  select.replaceChildren(...wallets.map((w) => element('option', w.address, { value: w.id })));
  show(byId('wallet-sign'), wallets.length > 0);
}

function wireWallets(): void {
  const walletStatus = byId('wallet-status');
  const create = byId<HTMLButtonElement>('wallet-create');
  create.addEventListener('click', () => {
    create.disabled = true;
    void secure<{ wallet: Wallet }>('/api/wallets', { method: 'POST', body: {} })
      .then(async (result) => {
        if (!result.ok) return say(walletStatus, sentence(result.error), 'error');
        say(walletStatus, `Wallet ${result.data!.wallet.address} created.`, 'ok');
        await loadWallets();
      })
      .finally(() => {
        create.disabled = false;
      });
  });
  const form = byId<HTMLFormElement>('wallet-sign');
  onSubmit(form, async () => {
    const result = await secure<{ signature: string; digest: string; address: string }>(
      `/api/wallets/${encodeURIComponent(valueOf(form, 'wallet'))}/sign`,
      { method: 'POST', body: { message: valueOf(form, 'message') } },
    );
    if (!result.ok) return say(walletStatus, sentence(result.error), 'error');
    const output = byId('signature');
    output.textContent = `address   ${result.data!.address}\ndigest    ${result.data!.digest}\nsignature ${result.data!.signature}`;
    show(output);
    say(walletStatus, 'Message signed (EIP-191 personal_sign).', 'ok');
  });
}

async function loadReferrals(): Promise<void> {
  const result = await plain<{
    code: string;
    link: string;
    referrals: Array<{ email: string; joinedAt: string }>;
  }>('/api/referrals');
  if (!result.ok) return;
  const { link, referrals } = result.data!;
  const anchor = byId<HTMLAnchorElement>('referral-link');
  anchor.href = link;
  anchor.textContent = link;
  byId('referral-list').replaceChildren(
    ...(referrals.length === 0
      ? [element('li', 'Nobody has signed up with your link yet.')]
      : referrals.map((r) =>
          element('li', `${r.email}, joined ${new Date(r.joinedAt).toLocaleDateString()}`),
        )),
  );
  show(byId('referrals'));
}

function wireMfa(): void {
  const mfaStatus = byId('mfa-status');
  const confirm = byId<HTMLFormElement>('mfa-confirm');
  byId('mfa-start').addEventListener('click', () => {
    void (async () => {
      const result = await plain<{ mfa: { secret: string; uri: string } }>('/api/auth/mfa/enroll', {
        method: 'POST',
        headers: jsonHeaders,
        body: JSON.stringify({ deviceId: deviceId() }),
      });
      if (!result.ok) return say(mfaStatus, sentence(result.error), 'error');
      drawQr(byId('mfa-qr'), result.data!.mfa.uri, 'QR code of your authenticator key');
      byId('mfa-secret').textContent = result.data!.mfa.secret;
      show(confirm);
      (confirm.elements.namedItem('code') as HTMLInputElement).focus();
    })();
  });
  onSubmit(confirm, async () => {
    const result = await plain<{ mfa: { deviceId: string } }>('/api/auth/mfa/verify', {
      method: 'POST',
      headers: jsonHeaders,
      body: JSON.stringify({ deviceId: deviceId(), code: valueOf(confirm, 'code') }),
    });
    if (!result.ok) return say(mfaStatus, sentence(result.error), 'error');
    show(confirm, false);
    setMfa(true);
    say(mfaStatus, 'Two-factor authentication is on, bound to this browser.', 'ok');
  });
}

function setMfa(on: boolean): void {
  mfaOn = on;
  byId('mfa-state').textContent = on
    ? 'On. Joining activities needs a code from your authenticator app, from this browser.'
    : 'Off.';
  show(byId('activity-code-field'), on);
}

async function loadActivities(): Promise<void> {
  const activityStatus = byId('activity-status');
  const result = await secure<{ volume30d: number; activities: Activity[] }>('/api/activities');
  if (!result.ok) return say(activityStatus, sentence(result.error), 'error');
  const { volume30d, activities } = result.data!;
  byId('volume').textContent = `Your 30-day volume: ${(volume30d / 100).toFixed(2)}.`;
  byId('activity-list').replaceChildren(
    ...activities.map((activity) => {
      const item = element('li', `${activity.title} (from ${(activity.threshold / 100).toFixed(2)}) `);
      if (activity.joined) {
        item.append(element('strong', 'Joined'));
      } else {
        const join = element('button', 'Join', { type: 'button', 'data-activity': activity.id });
        join.addEventListener('click', () => void joinActivity(activity.id));
        item.append(join);
      }
      return item;
    }),
  );
}

async function joinActivity(id: string): Promise<void> {
  const activityStatus = byId('activity-status');
  const headers: Record<string, string> = {};
  if (mfaOn) {
    headers['X-MFA-Device-Id'] = deviceId();
    headers['X-MFA-Code'] = (byId<HTMLInputElement>('f-activity-code').value || '').trim();
  }
  const result = await secure(`/api/activities/${encodeURIComponent(id)}/join`, {
    method: 'POST',
    body: {},
    headers,
  });
  if (!result.ok) return say(activityStatus, sentence(result.error), 'error');
  say(activityStatus, 'You joined the activity.', 'ok');
  await loadActivities();
}

void (async () => {
  say(status, 'Loading your account…');
  const me = await plain<Me>('/api/auth/me');
  if (!me.ok) {
    if (me.status === 401) window.location.assign('/signin');
    else say(status, sentence(me.error), 'error');
    return;
  }
  const { user } = me.data!;
  byId('me-email').textContent = user.email;
  byId('me-verified').textContent = user.emailVerified
    ? '(address confirmed)'
    : '(address not confirmed yet)';
  if (user.phone) {
    byId('me-phone').textContent = user.phone;
    show(byId('me-phone-line'));
  }
  byId('signout').addEventListener('click', () => void signOut('/api/auth/logout'));
  byId('signout-all').addEventListener('click', () => void signOut('/api/auth/logout-all'));
  for (const id of ['profile', 'wallets', 'mfa', 'activities']) show(byId(id));
  say(status, '');
  wireWallets();
  wireMfa();
  setMfa(user.mfaEnabled);
  await Promise.all([loadWallets(), loadReferrals(), loadActivities()]);
})();
