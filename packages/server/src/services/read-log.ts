import type { EntryToChain } from "../store/audit-store.js";
import type { Store, StoreTables } from "../store/store.js";

/** What a read of values leaves behind: its audit entries, and the secrets it used. */
export interface ReadRecord {
  entries: EntryToChain[];
  /** Secrets whose "last used at" the read sets. */
  used: string[];
}

/** Writes reads' records in `tx`: their audit entries, and when their secrets were last used. */
async function writeReadRecords(tx: StoreTables, records: readonly ReadRecord[]): Promise<void> {
  await tx.audit.append(...records.flatMap((record) => record.entries));
  await tx.secrets.touchLastUsed(
    [...new Set(records.flatMap((record) => record.used))],
    new Date().toISOString(),
  );
}

/** What the read log reports of each group it commits (the server's metrics). */
export interface ReadLogEvents {
  committed(records: readonly ReadRecord[], seconds: number): void;
  /** The group could not be committed: each of its reads failed, its values never handed out. */
  refused(records: readonly ReadRecord[]): void;
}

interface Waiting {
  record: ReadRecord;
  done(error?: unknown): void;
}

// A group commits while the next one gathers and goes to the database (where it waits for the
// first to commit, or on SQLite only for its flush to disk).
const groupsInFlight = 2;

/**
 * Group commit for reads of values: the records of reads made at about the same moment are
 * written in one transaction (one flush to disk, one lock of each audit chain) while the next
 * group gathers. Each read waits for its group to commit before it answers, and fails if the
 * group fails: no value leaves without its audit entry.
 */
export function createReadLog(deps: {
  store: Pick<Store, "transaction">;
  events?: ReadLogEvents | undefined;
}) {
  let waiting: Waiting[] = [];
  let inFlight = 0;
  let gathering = false;

  async function writeGroup(): Promise<void> {
    gathering = false;
    const group = waiting;
    waiting = [];
    const records = group.map((item) => item.record);
    inFlight++;
    const started = performance.now();
    try {
      await deps.store.transaction((tx) => writeReadRecords(tx, records));
      deps.events?.committed(records, (performance.now() - started) / 1000);
      for (const item of group) item.done();
    } catch (error) {
      deps.events?.refused(records);
      for (const item of group) item.done(error);
    } finally {
      inFlight--;
      gatherNext();
    }
  }

  /** Lets the reads of this turn of the event loop join the next group, if one may start. */
  function gatherNext(): void {
    if (gathering || waiting.length === 0 || inFlight >= groupsInFlight) return;
    gathering = true;
    setImmediate(() => void writeGroup());
  }

  return {
    /** Resolves once `record` is committed; rejects when it cannot be. */
    write(record: ReadRecord): Promise<void> {
      return new Promise((resolve, reject) => {
        waiting.push({ record, done: (error) => (error === undefined ? resolve() : reject(error)) });
        gatherNext();
      });
    },
  };
}

export type ReadLog = ReturnType<typeof createReadLog>;
