import { describe, expect, it } from "vitest";
import { maskClone } from "./clone-mask.js";

const secret = "s3cret-value-91ab";

describe("maskClone", () => {
  it("masks every string, key, map entry, set member, error and byte array, keeping the rest", () => {
    const error = new Error(`failed with ${secret}`);
    const value = {
      [secret]: `a ${secret} b`,
      list: [secret, 1, 2n, true, null, undefined],
      map: new Map<unknown, unknown>([[secret, new Date(7)]]),
      set: new Set([secret]),
      error,
      bytes: new Uint8Array(Buffer.from(`<${secret}>`)),
      boxed: new String(secret),
    };
    const masked = maskClone(value, [secret]) as Record<string, unknown>;
    expect(JSON.stringify([...Object.keys(masked)])).not.toContain(secret);
    expect(masked["***"]).toBe("a *** b");
    expect(masked.list).toEqual(["***", 1, 2n, true, null, undefined]);
    expect(masked.map).toEqual(new Map([["***", new Date(7)]]));
    expect(masked.set).toEqual(new Set(["***"]));
    expect((masked.error as Error).message).toBe("failed with ***");
    expect((masked.error as Error).stack).not.toContain(secret);
    expect(Buffer.from(masked.bytes as Uint8Array).toString()).toBe("<***>");
    expect(String(masked.boxed)).toBe("***");
    expect(value.list[0]).toBe(secret); // the original is left as it was
  });

  it("masks values with any characters in byte arrays, array buffers and data views", () => {
    const accented = "pässwörd-ünïcode";
    const masked = maskClone(
      [
        Buffer.from(accented),
        new TextEncoder().encode(accented).buffer,
        new DataView(Buffer.from(`x${accented}`).buffer),
      ],
      [accented],
    ) as [Uint8Array, ArrayBuffer, DataView];
    expect(Buffer.from(masked[0]).toString()).toBe("***");
    expect(Buffer.from(masked[1]).toString()).toBe("***");
    expect(Buffer.from(masked[2].buffer).toString()).not.toContain(accented);
  });

  it("keeps shared references and cycles, and a `__proto__` key as a key", () => {
    const shared = { note: secret };
    const cyclic: Record<string, unknown> = { a: shared, b: shared };
    cyclic.self = cyclic;
    const withProto = JSON.parse(`{"__proto__": "${secret}"}`);
    const masked = maskClone([cyclic, withProto], [secret]) as [Record<string, unknown>, object];
    expect(masked[0].a).toBe(masked[0].b);
    expect(masked[0].self).toBe(masked[0]);
    expect((masked[0].a as { note: string }).note).toBe("***");
    expect(Object.getPrototypeOf(masked[1])).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(masked[1], "__proto__")?.value).toBe("***");
  });

  it("gives the value back as it is when there is nothing to mask", () => {
    const value = { a: [1] };
    expect(maskClone(value, [])).toBe(value);
  });
});
