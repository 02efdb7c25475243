import type SqliteDatabase from "better-sqlite3";

/**
 * Tells when a SQLite database may have changed, for the read cache (see read-cache.ts): commits
 * by other connections (another process on the same file) move SQLite's `data_version`, and this
 * connection's own writes are counted by `noteWrite` as they are made. `data_version` is read
 * once per turn of the event loop: a request sent after a commit was acknowledged is read from
 * its socket, and handled, in a later turn.
 */
export function trackChanges(database: SqliteDatabase.Database) {
  const dataVersion = database.prepare("pragma data_version").pluck();
  let versionThisTurn: unknown;
  let writes = 0;

  function currentDataVersion(): unknown {
    if (versionThisTurn === undefined) {
      versionThisTurn = dataVersion.get();
      setImmediate(() => {
        versionThisTurn = undefined;
      });
    }
    return versionThisTurn;
  }

  return {
    noteWrite: () => {
      writes++;
    },
    mark: () => `${currentDataVersion()} ${writes}`,
  };
}
