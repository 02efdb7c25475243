import { closeSync, fdatasync, openSync } from "node:fs";

/**
 * Makes the commits of a SQLite database in WAL mode durable without blocking the event loop.
 * SQLite commits with `synchronous = NORMAL`, which writes the commit to the -wal file but does
 * not flush it; `sync()` then flushes that file in libuv's thread pool. That is the flush
 * `synchronous = FULL` makes after each commit, but there it blocks every request of the server
 * for the disk's time. Commits made while a flush runs share the next one (group commit).
 */
export function createWalSync(
  databasePath: string,
  { datasync = fdatasync as (fd: number, done: (error: Error | null) => void) => void } = {},
) {
  // Opened at the first flush: SQLite makes the file at its first write.
  let fd: number | undefined;
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;

  async function flush(): Promise<void> {
    fd ??= openSync(`${databasePath}-wal`, "r");
    const file = fd;
    await new Promise<void>((resolve, reject) =>
      datasync(file, (error) => (error ? reject(error) : resolve())),
    );
  }

  function sync(): Promise<void> {
    if (!running) {
      running = flush().finally(() => {
        running = undefined;
      });
      return running;
    }
    // The flush running may have started before this commit was written: wait for the next one.
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return sync();
      });
    return next;
  }

  return { sync, close: () => fd !== undefined && closeSync(fd) };
}
