// Decoding a call's arguments and encoding its result, inside the container: the host passes
// both through as they are (payload.ts).
import { maskClone } from "./clone-mask.js";
import { clonePayload, cloneValue, type Payload } from "./payload.js";

/** A call the container must refuse: the caller's arguments, or a result the encoding cannot carry. */
export class RefusedCall extends Error {}

/** The arguments a payload carries, which must be an array. */
export function decodeArgs(payload: Payload, label: string): unknown[] {
  let args: unknown;
  try {
    args = payload.encoding === "json" ? JSON.parse(payload.data) : cloneValue(payload);
  } catch {
    throw new RefusedCall(
      `The arguments of function ${label} are not ${payload.encoding === "json" ? "JSON" : "structured-clone data"}`,
    );
  }
  if (!Array.isArray(args)) throw new RefusedCall(`The arguments of function ${label} must be an array`);
  return args;
}

/** `value` as JSON: dates as ISO text, `undefined` and non-finite numbers as null, the rest refused. */
function jsonValue(value: unknown, label: string): unknown {
  const refuse = (what: string) =>
    new RefusedCall(`Function ${label} returned ${what}, which a JSON answer cannot carry`);
  const walk = (item: unknown, depth: number): unknown => {
    if (depth > 100) throw refuse("data nested over 100 levels deep");
    if (item === null || item === undefined) return null;
    if (typeof item === "string" || typeof item === "boolean") return item;
    if (typeof item === "number") return Number.isFinite(item) ? item : null;
    if (item instanceof Date) return item.toISOString();
    if (Array.isArray(item)) return item.map((entry) => walk(entry, depth + 1));
    if (typeof item === "object" && Object.getPrototypeOf(item) === Object.prototype) {
      return Object.fromEntries(Object.entries(item).map(([key, entry]) => [key, walk(entry, depth + 1)]));
    }
    throw refuse(`a ${typeof item === "object" ? (item.constructor?.name ?? "object") : typeof item}`);
  };
  return walk(value, 0);
}

/** The result in the call's encoding, every secret value in `mask` masked first. */
export function encodeResult(
  value: unknown,
  encoding: Payload["encoding"],
  mask: readonly string[],
  label: string,
): Payload {
  const masked = maskClone(value, mask);
  if (encoding === "json") return { encoding, data: JSON.stringify(jsonValue(masked, label)) ?? "null" };
  try {
    return clonePayload(masked);
  } catch {
    // The v8 serializer's message quotes the value (a function's source): name only the type.
    const message = `The result of function ${label} is not structured-clone data (a function, symbol or similar)`;
    throw Object.assign(new Error(message), { name: "DataCloneError", stack: undefined });
  }
}
