export { createReferenceApp, type ReferenceApp } from './app.js';
export { loadConfig, ConfigProblems, type Config, type Env } from './config/index.js';
export type { Services, ServiceOverrides } from './services.js';
export type { Guards, LimitName } from './guards.js';
export { memoryLogger, jsonLogger, type MemoryLogger } from './logger.js';
export { createOutbox, type Outbox, type OutboxMessage } from './outbox.js';
export {
  PermanentDeliveryError,
  type Delivery,
  type EmailContent,
  type MailTransport,
  type MessageContent,
  type SmsContent,
  type SmsSender,
} from './messages/message.js';
export type { ClaimedMessage, OutboxRecord, OutboxRepository } from './messages/repository.js';
export { storeOutboxRepository } from './messages/store-repository.js';
export { sqlOutboxRepository, type SqlOutboxOptions } from './db/outbox.js';
export { transactionScope, type TransactionScope } from './db/transaction-scope.js';
export { outboxWorker, type DeliveryRound, type OutboxWorker } from './messages/worker.js';
export { smtpTransport } from './messages/smtp.js';
export { twilioSms } from './messages/twilio.js';
export type { User, UserRepository } from './users.js';
export { memoryWallets, type WalletRecord, type WalletRepository } from './wallets/repository.js';
export { maskEmail } from './mask-email.js';
