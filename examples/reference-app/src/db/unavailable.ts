import { StoreUnavailableError } from '@shieldwall/core';
import type { DatabaseConnection, Dialect, Driver } from 'kysely';

// SQLSTATE classes and codes that mean "the database is not there or not answering in time", not "your query is
// wrong": connection exceptions (08), shutdown and cancelled statements (57P0x, 57014: statement_timeout),
// too many connections and other resource limits (53), lock timeouts (55P03).
const unavailableStates = /^(08|53|57P0|57014$|55P03$)/;
const unavailableErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
// node-postgres reports its own timeouts and dead sockets with plain messages.
const unavailableMessages =
  /timeout exceeded when trying to connect|Connection terminated|Query read timeout|not queryable|Connection ended|connection error/i;

export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (unavailableStates.test(code) || unavailableErrnos.has(code))) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && unavailableMessages.test(message);
}

function translate(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error;
  return new StoreUnavailableError('The database does not answer; try again shortly.', error);
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translate(error);
  }
}

/**
 * Wraps a dialect so that a database outage (refused or dropped connections, pool or statement timeouts) reaches
 * the routes as 503 `store_unavailable`, the code the rest of the app uses for its state store, instead of a 500.
 * Constraint violations and other query errors pass through unchanged: the repositories answer those.
 */
export function outagesAsUnavailable(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createDriver: () => guardedDriver(dialect.createDriver()),
  };
}

function guardedDriver(inner: Driver): Driver {
  const unwrap = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const original = (connection: DatabaseConnection) => unwrap.get(connection) ?? connection;
  return {
    init: (options) => guarded(() => inner.init(options)),
    async acquireConnection(options) {
      const connection = await guarded(() => inner.acquireConnection(options));
      const wrapped: DatabaseConnection = {
        executeQuery: (query, queryOptions) => guarded(() => connection.executeQuery(query, queryOptions)),
        streamQuery: (query, chunkSize, queryOptions) =>
          connection.streamQuery(query, chunkSize, queryOptions),
      };
      unwrap.set(wrapped, connection);
      return wrapped;
    },
    beginTransaction: (connection, settings) =>
      guarded(() => inner.beginTransaction(original(connection), settings)),
    commitTransaction: (connection) => guarded(() => inner.commitTransaction(original(connection))),
    rollbackTransaction: (connection) => guarded(() => inner.rollbackTransaction(original(connection))),
    releaseConnection: (connection, options) => inner.releaseConnection(original(connection), options),
    destroy: (options) => inner.destroy(options),
  };
}
