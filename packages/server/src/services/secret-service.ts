import type { Envelope } from "../crypto/envelope.js";
import type { Store } from "../store/store.js";
import { createSecretLookup } from "./secret-lookup.js";
import { createSecretReads } from "./secret-reads.js";
import { createVersionCodec } from "./secret-versions.js";
import { createSecretWrites } from "./secret-writes.js";

export type {
  CreateSecretInput,
  IfExists,
  ResolveInput,
  SecretInfo,
  SecretRef,
  UpdateSecretInput,
  VersionInfo,
} from "./secret-lookup.js";

/** Named secrets: every rule about creating, reading, changing and versioning them. */
export function createSecretService(deps: {
  store: Pick<Store, "directory" | "secrets" | "transaction">;
  envelope: Envelope;
}) {
  const codec = createVersionCodec(deps.envelope);
  const lookup = createSecretLookup(codec);
  return {
    ...createSecretReads({ store: deps.store, lookup }),
    ...createSecretWrites({ store: deps.store, lookup, codec }),
  };
}

export type SecretService = ReturnType<typeof createSecretService>;
