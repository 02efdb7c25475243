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
  SecretInfo,
  SecretRef,
  UpdateSecretInput,
  VersionInfo,
} from "./secret-lookup.js";

/** Named secrets: every rule about creating, reading, changing and versioning them. */
export function createSecretService(deps: {
  store: Pick<Store, "directory" | "secrets" | "replica" | "transaction">;
  codec: VersionCodec;
  lookup: SecretLookup;
  readLog: ReadLog;
}) {
  const { codec, lookup, readLog } = deps;
  return {
    ...createSecretReads({ store: deps.store, lookup, readLog }),
    ...createSecretWrites({ store: deps.store, lookup, codec }),
  };
}

export type SecretService = ReturnType<typeof createSecretService>;
