import { deserialize, serialize } from "node:v8";

/**
 * A call's arguments or result as they cross to and from a container, never decoded on the way:
 * `clone` is v8 structured-clone bytes in base64, `json` is JSON text. The host's side of the
 * channel is JSON, so a container cannot make the host decode anything richer than JSON.
 */
export interface Payload {
  encoding: "clone" | "json";
  data: string;
}

/** `value` as a `clone` payload; throws the serializer's error for what structured clone cannot carry. */
export function clonePayload(value: unknown): Payload {
  return { encoding: "clone", data: serialize(value).toString("base64") };
}

/**
 * The value a `clone` payload carries. Its bytes are copied out of Node's shared buffer pool
 * first: a typed array in the value is a view on them, and must not show other memory.
 */
export function cloneValue(payload: Payload): unknown {
  return deserialize(new Uint8Array(Buffer.from(payload.data, "base64")));
}
