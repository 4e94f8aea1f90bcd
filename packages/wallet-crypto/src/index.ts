export {
  envelopeSealer,
  type EnvelopeSealer,
  type EnvelopeSealerOptions,
  type SecretSealer,
} from './sealer.js';
export { localKek, type KekProvider, type LocalKek } from './kek.js';
export { canonicalContext, type EncryptionContext } from './context.js';
export { envelopeKekId, formatVersion, parseEnvelope, type EnvelopeParts } from './format.js';
export {
  rotateKeks,
  type RotateOptions,
  type RotationProgress,
  type RotationRecord,
  type RotationReport,
} from './rotate.js';
export { Secret, zeroize } from './secret.js';
export { leakGuard, type LeakGuardOptions } from './leak-guard.js';
export { findPrivateKey, defaultKeyLikeField, type LeakFinding, type LeakKind } from './leak-scan.js';
export {
  WalletCryptoError,
  isWalletCryptoError,
  decryptionFailed,
  type WalletCryptoErrorCode,
} from './errors.js';
