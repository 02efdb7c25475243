import { join } from "node:path";
import {
  generateMasterKey,
  loadMasterKeys,
  masterKeyFileName,
  openLockbox,
  writeKeyFile,
} from "@lockbox/server";
import { parseConfig } from "@lockbox/server/config";
import { InvalidError } from "@lockbox/server/shared";
import { print } from "../../output.js";
import { settingOptions } from "../../setting-options.js";

interface RotateOptions {
  batchSize: number;
}

const newKeyFirst =
  "put the new master key first in LOCKBOX_MASTER_KEY, then the current one: LOCKBOX_MASTER_KEY=NEW,CURRENT " +
  "(make NEW with: openssl rand -base64 32)";

/** The keys to rotate with, new first. With the key file, a new key is added to it (kept until the end). */
function keysForRotation(dataDir: string, encodedKey: string | undefined) {
  const keys = loadMasterKeys({ dataDir, encodedKey });
  if (keys.length > 1) return keys;
  if (encodedKey !== undefined) throw new InvalidError(`LOCKBOX_MASTER_KEY holds one key: ${newKeyFirst}`);
  const rotated = [generateMasterKey(), ...keys];
  writeKeyFile(dataDir, rotated);
  return rotated;
}

/**
 * `lockbox admin rotate-master-key`: re-wraps every data key of the store under a new master key
 * while servers keep serving; run again after an interruption, it goes on where it stopped.
 */
export async function rotateMasterKey(options: RotateOptions & Record<string, unknown>): Promise<void> {
  const config = parseConfig("admin", { options: settingOptions("admin", options), env: process.env });
  const { dataDir, masterKey: encodedKey, databaseUrl } = config;
  const [newKey] = keysForRotation(dataDir, encodedKey);
  const lockbox = await openLockbox({ dataDir, encodedKey, databaseUrl });
  let reported = 0;
  try {
    const { keyId, rewrapped } = await lockbox.rotateMasterKey({
      batchSize: options.batchSize,
      onProgress: (count) => {
        // About once a second: enough to follow a long rotation.
        if (Date.now() - reported < 1000) return;
        reported = Date.now();
        process.stderr.write(`Re-wrapped ${count} data keys so far\n`);
      },
    });
    print(`Re-wrapped ${rewrapped} data keys under master key ${keyId}; the old master key is retired.`);
  } finally {
    await lockbox.close();
  }
  if (encodedKey === undefined && newKey) {
    writeKeyFile(dataDir, [newKey]);
    print(`The key file ${join(dataDir, masterKeyFileName)} now holds the new key alone.`);
  } else {
    print("Set LOCKBOX_MASTER_KEY to the new key alone on every instance: the old key is no longer needed.");
  }
}
