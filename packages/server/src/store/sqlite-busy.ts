import { type DatabaseConnection, type Driver, SqliteDialect, type TransactionSettings } from "kysely";

const busyTimeoutMs = 10_000;

// better-sqlite3 is synchronous: SQLite's own busy wait (busy_timeout) would freeze the event
// loop while another process holds the write lock, and with it every request of this server.
// So SQLite answers SQLITE_BUSY at once, and the statement is tried again after a timer.
async function retryWhileBusy<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + busyTimeoutMs;
  for (let delayMs = 1; ; delayMs = Math.min(delayMs * 2, 20)) {
    try {
      return await attempt();
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY" || Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

function retryingConnection(connection: DatabaseConnection): DatabaseConnection {
  return {
    executeQuery: (query) => retryWhileBusy(async () => connection.executeQuery(query)),
    streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
  };
}

class RetryingDriver implements Driver {
  constructor(private readonly driver: Driver) {}
  init = () => this.driver.init();
  acquireConnection = async () => {
    // better-sqlite3 answers synchronously: without a turn of the event loop before each use of
    // the connection, queries queued behind one another would run back to back, and sockets
    // (new connections, requests) would wait for the whole queue.
    await new Promise((resolve) => setImmediate(resolve));
    return retryingConnection(await this.driver.acquireConnection());
  };
  beginTransaction = (connection: DatabaseConnection, settings: TransactionSettings) =>
    this.driver.beginTransaction(connection, settings);
  commitTransaction = (connection: DatabaseConnection) => this.driver.commitTransaction(connection);
  rollbackTransaction = (connection: DatabaseConnection) => this.driver.rollbackTransaction(connection);
  releaseConnection = (connection: DatabaseConnection) => this.driver.releaseConnection(connection);
  destroy = () => this.driver.destroy();
}

/**
 * Kysely's SQLite dialect, with every statement retried on timers while another process holds
 * the write lock (up to 10 s). Set `busy_timeout = 0` on the database it is given.
 */
export class BusyRetrySqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    return new RetryingDriver(super.createDriver());
  }
}
