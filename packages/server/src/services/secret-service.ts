import type { Store } from "../store/store.js";
import type { ReadLog } from "./read-log.js";
import type { SecretLookup } from "./secret-lookup.js";
import { createSecretReads } from "./secret-reads.js";
import type { VersionCodec } from "./secret-versions.js";
import { createSecretWrites } from "./secret-writes.js";

export type {
  CreateSecretInput,
  IfExists,
  ResolvedSecret,
  ResolveInput,
  SecretMetadata,
  SecretRef,
  UpdateSecretInput,
  VersionInfo,
} from "./secret-types.js";

type Operations = Record<string, (...args: never[]) => Promise<unknown>>;

/** `operations`, each calling `done` once it has succeeded. */
function telling<T extends Operations>(operations: T, done: () => void): T {
  const told = Object.entries(operations).map(([name, operation]) => [
    name,
    async (...args: Parameters<typeof operation>) => {
      const result = await operation(...args);
      done();
      return result;
    },
  ]);
  return Object.fromEntries(told) as T;
}

/** Named secrets: every rule about creating, reading, changing and versioning them. */
export function createSecretService(deps: {
  store: Pick<Store, "directory" | "secrets" | "replica" | "transaction">;
  codec: VersionCodec;
  lookup: SecretLookup;
  readLog: ReadLog;
  /** Told of each create, update, delete and rollback that succeeded (the server's metrics). */
  onWrite?: (() => void) | undefined;
}) {
  const { codec, lookup, readLog, onWrite } = deps;
  const writes = createSecretWrites({ store: deps.store, lookup, codec });
  return {
    ...createSecretReads({ store: deps.store, lookup, readLog }),
    ...(onWrite ? telling(writes, onWrite) : writes),
  };
}

export type SecretService = ReturnType<typeof createSecretService>;
