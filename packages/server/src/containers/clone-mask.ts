import { maskText } from "./output-mask.js";

/**
 * `value` with every secret value masked in each string, key, error message and byte array it
 * holds, rebuilt with the same shape and cycles. Runs in the container, so the host never has to
 * decode a result to mask it; a function's own code can still return a value in a form no mask
 * knows (masking guards accidents, not intent).
 */
export function maskClone(value: unknown, values: readonly string[]): unknown {
  if (values.length === 0) return value;
  const text = (item: string) => maskText(item, values);
  // Bytes are masked as latin1 text, one character a byte, against each value's UTF-8 bytes
  // read the same way (for ASCII, the value itself).
  const byteValues = [...new Set(values.map((value) => Buffer.from(value, "utf8").toString("latin1")))];
  const bytes = (view: ArrayBufferView | ArrayBuffer): Buffer => {
    const raw = ArrayBuffer.isView(view)
      ? Buffer.from(view.buffer, view.byteOffset, view.byteLength)
      : Buffer.from(view);
    return Buffer.from(maskText(raw.toString("latin1"), byteValues), "latin1");
  };
  const seen = new Map<object, unknown>();
  const walk = (item: unknown): unknown => {
    if (typeof item === "string") return text(item);
    if (typeof item !== "object" || item === null) return item;
    const known = seen.get(item);
    if (known !== undefined) return known;
    if (item instanceof Uint8Array) return remember(item, new Uint8Array(bytes(item)));
    if (item instanceof ArrayBuffer) return remember(item, new Uint8Array(bytes(item)).buffer);
    if (item instanceof DataView) return remember(item, new DataView(new Uint8Array(bytes(item)).buffer));
    if (item instanceof String) return remember(item, new String(text(item.valueOf())));
    // Arrays of numbers wider than a byte hold no text: they stay as they are.
    if (ArrayBuffer.isView(item) || item instanceof Date || item instanceof RegExp) return item;
    if (Array.isArray(item)) {
      const copy = remember(item, [] as unknown[]);
      for (const entry of item) copy.push(walk(entry));
      return copy;
    }
    if (item instanceof Map) {
      const copy = remember(item, new Map());
      for (const [key, entry] of item) copy.set(walk(key), walk(entry));
      return copy;
    }
    if (item instanceof Set) {
      const copy = remember(item, new Set());
      for (const entry of item) copy.add(walk(entry));
      return copy;
    }
    if (item instanceof Error) {
      const copy = remember(item, new Error(text(item.message)));
      copy.name = text(item.name);
      copy.stack = item.stack === undefined ? "" : text(item.stack);
      return copy;
    }
    const copy = remember(item, {});
    // Defined, not assigned: a key named `__proto__` stays a key.
    for (const [key, entry] of Object.entries(item))
      Object.defineProperty(copy, text(key), {
        value: walk(entry),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return copy;
  };
  const remember = <T extends object>(item: object, copy: T): T => {
    seen.set(item, copy);
    return copy;
  };
  return walk(value);
}
