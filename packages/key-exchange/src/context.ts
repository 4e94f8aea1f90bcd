import type { Clock, Logger, Refuse, Store } from '@shieldwall/core';
import type { AppVersionRegistry } from './app-versions.js';
import type { Channels } from './channels.js';
import type { Csrf } from './csrf.js';
import type { EnvelopeSettings } from './envelope.js';
import type { WebKeyRing } from './key-ring.js';

/** What the handlers share; built once by `keyExchange()`. */
export interface KeyExchangeContext {
  store: Store;
  clock: Clock;
  logger: Logger;
  csrf: Csrf;
  ring: WebKeyRing;
  apps: AppVersionRegistry | undefined;
  channels: Channels;
  envelopes: EnvelopeSettings;
  maxBodyBytes: number;
  maxJsonDepth: number;
  channelTtlMs: number;
  /** Answers a refusal (the envelope or the user's `onRefused`); anything else goes to `next`. */
  refuse: Refuse;
}

/** What the channel middleware leaves in `res.locals.keyExchange` for route handlers. */
export interface ChannelInfo {
  channelId: string;
  /** Web channels: the session they are bound to. */
  sessionId?: string;
  /** Mobile channels. */
  platform?: string;
  version?: string;
}
