export {
  ShieldwallError,
  ShieldwallConfigError,
  StoreUnavailableError,
  isShieldwallError,
} from './errors.js';
export { errorEnvelope, sendError, sendShieldwallError, type ErrorEnvelope } from './envelope.js';
export { errorHandler, notFoundHandler, type ErrorHandlerOptions } from './error-handler.js';
export { wrapAsync } from './async.js';
export { readCappedBody, bodyTooLarge, hasBody } from './read-body.js';
export { silentLogger, consoleLogger, type Logger } from './logger.js';
export { refusals, answerRefusals, type OnRefused, type Refuse } from './refusals.js';
export { systemClock, manualClock, type Clock, type ManualClock } from './clock.js';
export { constantTimeEqual } from './timing-safe.js';
export { checkOptionNames, nearestName, type OptionNames, type OptionNamesCheck } from './option-names.js';
export { configError, positiveInteger, fraction, oneOf, rejectMiddlewareArguments } from './options.js';
export { getClientInfo, setClientInfo, normaliseIp, type ClientInfo } from './client-info.js';
export {
  challengeHeaders,
  readChallengeAnswer,
  verificationRequired,
  type Challenge,
  type ChallengeAnswer,
  type ChallengeContext,
  type ChallengeProvider,
  type ChallengeVerdict,
} from './challenge.js';
export type { Store, Counter, ScoredMember } from './store/types.js';
export { memoryStore, type MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { redisStore, type RedisStoreOptions, type SendCommand } from './store/redis-store.js';
export { prefixedStore } from './store/prefixed-store.js';
export { withTimeout } from './store/with-timeout.js';
export { claimOnce, type ClaimResult } from './store/claim-once.js';
