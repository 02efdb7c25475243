import { callApi } from "@lockbox/server/test-support";
import { expect } from "vitest";

/** The secret that every update of a write load adds a key to; create it before the load starts. */
export const sharedSecret = "shared";

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

/** One acknowledged write: the create of secret `s-INDEX`, or the update adding key `K(INDEX+1)` to `shared`. */
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
            values: { VALUE: `canary-${index}` },
          })
        : await acknowledged(url, options.token, "PATCH", `${environmentPath}/${sharedSecret}`, {
            set: { [`K${index + 1}`]: `${index}` },
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
    expect(await reveal(`s-${index}`)).toEqual({ VALUE: `canary-${index}` });
  }
  const shared = await reveal(sharedSecret);
  for (const { index } of acks.filter((ack) => ack.kind === "update")) {
    expect(shared[`K${index + 1}`]).toBe(`${index}`);
  }
}
