import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/**
 * Kysely on PGlite (PostgreSQL compiled to WebAssembly, in this process): the same compiler, adapter and SQL as
 * the `pg` dialect, so every repository and migration runs unchanged on both. PGlite is one session, so the
 * driver hands out its single connection to one holder at a time: a transaction then owns the session until it
 * commits, and no other query can slip into it.
 */
export function pgliteDialect(pglite: PGlite, options: { schema?: string } = {}): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new PGliteDriver(pglite, options.schema),
    createIntrospector: (db: Kysely<unknown>) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pglite: PGlite) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.pglite.query<R>(compiled.sql, [...compiled.parameters]);
    return {
      rows: result.rows,
      ...(result.affectedRows !== undefined ? { numAffectedRows: BigInt(result.affectedRows) } : {}),
    };
  }

  // eslint-disable-next-line require-yield -- the interface needs a generator; PGlite has no cursors to stream
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('reference-app: streaming queries are not supported on PGlite; page with LIMIT instead');
  }
}

/** Per PGlite session: who may use it next, and the search_path it is on (several apps may share one in tests). */
interface Session {
  queue: Promise<void>;
  schema: string | undefined;
}
const sessions = new WeakMap<PGlite, Session>();

class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection;
  readonly #session: Session;
  readonly #schema: string | undefined;
  #release: (() => void) | undefined;

  constructor(pglite: PGlite, schema: string | undefined) {
    this.#connection = new PGliteConnection(pglite);
    let session = sessions.get(pglite);
    if (!session) sessions.set(pglite, (session = { queue: Promise.resolve(), schema: undefined }));
    this.#session = session;
    this.#schema = schema;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#session.queue;
    let release!: () => void;
    this.#session.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    if (this.#session.schema !== this.#schema) {
      // Tests give each app its own schema in one shared PGlite: the session follows whoever holds it.
      const path = this.#schema === undefined ? '"$user", public' : `"${this.#schema.replace(/"/g, '""')}"`;
      try {
        await this.#connection.executeQuery(CompiledQuery.raw(`set search_path to ${path}`));
      } catch (error) {
        this.#releaseNow();
        throw error;
      }
      this.#session.schema = this.#schema;
    }
    return this.#connection;
  }

  #releaseNow(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let statement = 'begin';
    if (settings.isolationLevel) statement += ` isolation level ${settings.isolationLevel}`;
    if (settings.accessMode) statement += ` ${settings.accessMode}`;
    await connection.executeQuery(CompiledQuery.raw(statement));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    this.#releaseNow();
  }

  async destroy(): Promise<void> {}
}
