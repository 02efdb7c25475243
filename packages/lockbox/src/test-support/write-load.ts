import { callApi } from "@lockbox/server/test-support";
import { expect } from "vitest";

/** The secret that every update of a write load adds a key pair to; create it before the load starts. */
export const sharedSecret = "shared";

/**
 * Keys `A_TAG` and `B_TAG` set to one value in one write: a version holding one without the
 * other, or the two with different values, is torn.
 */
export function keyPair(tag: string, value: string): Record<string, string> {
  return { [`A_${tag}`]: value, [`B_${tag}`]: value };
}

/** The values to create `sharedSecret` with. */
export const sharedSecretValues = keyPair("start", "canary-start");

/** Whether a write through the server at `url` was acknowledged: a failed connection is not. */
export async function acknowledged(
  url: string,
  token: string,
  method: string,
  path: string,
  body: unknown,
): Promise<boolean> {
  try {
    const { status } = await callApi(url, method, path, { token, body });
    return status >= 200 && status < 300;
  } catch {
    return false; // the server died before answering
  }
}

/** Resolves once `condition()` holds, checking every few milliseconds. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** One acknowledged write: the create of secret `s-INDEX`, or the update adding key pair INDEX to `shared`. */
export interface WriteAck {
  index: number;
  kind: "create" | "update";
  url: string;
  /** Sent after the last `mark()` of the load. */
  afterMark: boolean;
}

export interface WriteLoadOptions {
  token: string;
  lanes: number;
  /** The server that write INDEX goes to, asked for each write. */
  urlFor(index: number): string;
}

/** Writer lanes creating secrets and updating `shared` (in environment `main`) until stopped. */
export interface WriteLoad {
  /** Every acknowledged write, in the order of the answers. */
  acks: WriteAck[];
  /** Writes sent from now on are tagged `afterMark`. */
  mark(): void;
  /** Lets each lane finish its write in progress, then stops. */
  stop(): Promise<void>;
}

const environmentPath = "/v1/environments/main/secrets";

/** Starts `lanes` writers: writer L sends writes L, L + lanes, L + 2 * lanes… (a create and an update each). */
export function startWriteLoad(options: WriteLoadOptions): WriteLoad {
  const acks: WriteAck[] = [];
  let marked = false;
  let stopped = false;
  const write = async (index: number, kind: WriteAck["kind"]) => {
    const url = options.urlFor(index);
    const afterMark = marked;
    const ok =
      kind === "create"
        ? await acknowledged(url, options.token, "POST", environmentPath, {
            name: `s-${index}`,
            values: keyPair("created", `canary-${index}`),
          })
        : await acknowledged(url, options.token, "PATCH", `${environmentPath}/${sharedSecret}`, {
            set: keyPair(`${index}`, `canary-${index}`),
          });
    if (ok) acks.push({ index, kind, url, afterMark });
  };
  const writer = async (lane: number) => {
    for (let index = lane; !stopped; index += options.lanes) {
      await Promise.all([write(index, "create"), write(index, "update")]);
    }
  };
  const lanes = Array.from({ length: options.lanes }, (_, lane) => writer(lane));
  return {
    acks,
    mark: () => {
      marked = true;
    },
    stop: async () => {
      stopped = true;
      await Promise.all(lanes);
    },
  };
}

/** Expects every acknowledged write of `acks` in the store, read through `reveal` (the values of a secret). */
export async function expectAcknowledgedWrites(
  acks: WriteAck[],
  reveal: (name: string) => Promise<Record<string, string>>,
): Promise<void> {
  for (const { index } of acks.filter((ack) => ack.kind === "create")) {
    expect(await reveal(`s-${index}`)).toEqual(keyPair("created", `canary-${index}`));
  }
  const shared = await reveal(sharedSecret);
  for (const { index } of acks.filter((ack) => ack.kind === "update")) {
    expect(shared).toMatchObject(keyPair(`${index}`, `canary-${index}`));
  }
}

/** One version in a secret's history, as `GET …/history` answers it. */
export interface HistoryEntry {
  version: number;
  keys: string[];
  added: string[];
  removed: string[];
  changed: string[];
}

/** Reads the secrets of environment `main`, through the API or the services. */
export interface SecretReader {
  /** The names and current versions of every secret. */
  list(): Promise<{ name: string; version: number }[]>;
  history(name: string): Promise<HistoryEntry[]>;
  /** The values of the current version, or of `version`. */
  reveal(name: string, version?: number): Promise<Record<string, string>>;
}

/** A `SecretReader` through the HTTP API at `url`. */
export function apiSecretReader(url: string, token: string): SecretReader {
  const get = async (path: string) => {
    const answer = await callApi(url, "GET", `${environmentPath}${path}`, { token });
    expect(answer.status, answer.text).toBe(200);
    return answer.body;
  };
  return {
    list: async () => (await get("?limit=1000")).secrets,
    history: async (name) => (await get(`/${name}/history?limit=1000`)).versions,
    reveal: async (name, version) =>
      (await get(`/${name}/values${version === undefined ? "" : `?version=${version}`}`)).values,
  };
}

/** Expects `values` to be whole key pairs, each pair's two keys set to the same value. */
function expectWholePairs(values: Record<string, string>, where: string): void {
  for (const [key, value] of Object.entries(values)) {
    const [, side, tag] = /^([AB])_(.+)$/.exec(key) ?? [];
    expect(side, `${where}: ${key} is no pair's key`).toBeDefined();
    expect(values[`${side === "A" ? "B" : "A"}_${tag}`], `${where}: ${key}'s pair`).toBe(value);
  }
}

/**
 * Expects no torn secret among those `reader` lists (a load's, created from key pairs and
 * updated only by adding pairs): versions 1 to the current one, each made of whole pairs, its
 * keys those its history lists, and each the one before plus the pairs it added.
 */
export async function expectNoTornSecrets(
  reader: SecretReader,
): Promise<{ secrets: number; versions: number }> {
  const secrets = await reader.list();
  expect(secrets.length).toBeLessThan(1000); // else the listing missed some
  let versions = 0;
  for (const { name, version } of secrets) {
    const history = (await reader.history(name)).sort((a, b) => a.version - b.version);
    expect(history.map((entry) => entry.version)).toEqual(Array.from({ length: version }, (_, i) => i + 1));
    let previous: Record<string, string> = {};
    for (const entry of history) {
      const where = `${name} version ${entry.version}`;
      const values = await reader.reveal(name, entry.version);
      expectWholePairs(values, where);
      expect(Object.keys(values).sort(), where).toEqual(entry.keys);
      expect({ removed: entry.removed, changed: entry.changed }, where).toEqual({ removed: [], changed: [] });
      const added = Object.fromEntries(entry.added.map((key) => [key, values[key]]));
      expect(values, where).toEqual({ ...previous, ...added });
      previous = values;
      versions++;
    }
  }
  return { secrets: secrets.length, versions };
}
