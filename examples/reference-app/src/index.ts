export { createReferenceApp, type ReferenceApp } from './app.js';
export { loadConfig, ConfigProblems, type Config, type Env } from './config/index.js';
export type { Services, ServiceOverrides } from './services.js';
export type { Guards, LimitName } from './guards.js';
export { memoryLogger, jsonLogger, type MemoryLogger } from './logger.js';
export type { Outbox, OutboxMessage } from './outbox.js';
export type { User, UserRepository } from './users.js';
export { memoryWallets, type WalletRecord, type WalletRepository } from './wallets/repository.js';
export { maskEmail } from './mask-email.js';
