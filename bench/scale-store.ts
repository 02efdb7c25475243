// The secrets of the scale benchmark, and the two ways it creates them: over HTTP, one request
// per secret as any client does, and through the library in batches for the bulk of a large store.
// The server's own modules: the same rules, encryption and audit chain as a create over HTTP.
import { type Actor, loadMasterKeys } from "@lockbox/server";
import {
  createEnvelope,
  createSecretLookup,
  createSecretWrites,
  createVersionCodec,
  openLockboxWithStore,
} from "./internals.js";

export const secretsPerTransaction = 1000;

/** The name of the `index`th secret of a store. */
export const secretName = (index: number): string => `scale-${String(index).padStart(6, "0")}`;

/** Its 10 keys, with fake 32-character values. */
export const secretValues = (index: number): Record<string, string> =>
  Object.fromEntries(
    Array.from({ length: 10 }, (_, k) => [`KEY_${k}`, `scale-value-${index}-${k}-`.padEnd(32, "x")]),
  );

const elapsedSeconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/**
 * Creates secrets `from` to `to - 1` through the secret service in this process, on the data
 * folder `home` (no server running on it): `secretsPerTransaction` creates share a transaction
 * (and its flush to disk), where a create over HTTP is a transaction of its own. Returns the time
 * it took.
 */
export async function createThroughLibrary(
  home: string,
  { from, to }: { from: number; to: number },
): Promise<number> {
  const started = process.hrtime.bigint();
  const { lockbox, store } = await openLockboxWithStore({ dataDir: home });
  try {
    const workspace = await lockbox.ensureDefaultWorkspace("bench");
    const actor: Actor = {
      workspaceId: workspace.id,
      name: "bench",
      tokenId: null,
      role: "admin",
      canCreateWorkspaces: true,
    };
    const codec = createVersionCodec(createEnvelope(loadMasterKeys({ dataDir: home })));
    const lookup = createSecretLookup(codec);
    for (let first = from; first < to; first += secretsPerTransaction) {
      await store.transaction(async (tx) => {
        const writes = createSecretWrites({ store: { transaction: (fn) => fn(tx) }, lookup, codec });
        for (let index = first; index < Math.min(to, first + secretsPerTransaction); index++) {
          await writes.create(actor, {
            environment: "main",
            name: secretName(index),
            values: secretValues(index),
          });
        }
      });
    }
  } finally {
    await lockbox.close();
  }
  return elapsedSeconds(started);
}

/**
 * Creates secrets `from` to `to - 1` with `POST …/secrets`, `inFlight` requests at a time on
 * keep-alive connections. Returns the time it took.
 */
export async function createOverHttp(
  label: string,
  url: string,
  token: string,
  { from, to, inFlight }: { from: number; to: number; inFlight: number },
): Promise<number> {
  const started = process.hrtime.bigint();
  let next = from;
  const worker = async () => {
    while (next < to) {
      const index = next++;
      const response = await fetch(`${url}/v1/environments/main/secrets`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: secretName(index), values: secretValues(index) }),
      });
      await response.arrayBuffer();
      if (!response.ok)
        throw new Error(`${label}: creating ${secretName(index)} answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return elapsedSeconds(started);
}
