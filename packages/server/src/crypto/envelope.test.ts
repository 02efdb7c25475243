import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { IntegrityError } from "../shared/errors.js";
import { createEnvelope, type SealContext, type Sealed } from "./envelope.js";
import { type MasterKey, masterKeyId } from "./master-key.js";

function newMasterKey(): MasterKey {
  const key = randomBytes(32);
  return { id: masterKeyId(key), key };
}

const context: SealContext = { workspaceId: "ws-a", environmentId: "en-a", secretId: "st-a", version: 3 };
const plaintext = Buffer.from(JSON.stringify({ API_KEY: "CANARY-envelope-5d1e" }));

function flipByte(buffer: Buffer, index: number): Buffer {
  const copy = Buffer.from(buffer);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

function openError(open: () => unknown): IntegrityError {
  try {
    open();
  } catch (error) {
    expect(error).toBeInstanceOf(IntegrityError);
    return error as IntegrityError;
  }
  throw new Error("expected open to fail");
}

describe("createEnvelope", () => {
  const masterKey = newMasterKey();
  const envelope = createEnvelope([masterKey]);
  const seal = (at: SealContext, payload: Buffer) => envelope.seal(at, payload, masterKey.id);

  it("round-trips a payload", () => {
    const sealed = seal(context, plaintext);
    expect(sealed.keyId).toBe(masterKey.id);
    expect(envelope.open(context, sealed, "Secret 'x'").equals(plaintext)).toBe(true);
  });

  it("round-trips an empty payload", () => {
    const sealed = seal(context, Buffer.alloc(0));
    expect(envelope.open(context, sealed, "Secret 'x'").length).toBe(0);
  });

  it("does not contain the plaintext in what it stores", () => {
    const sealed = seal(context, plaintext);
    expect(sealed.ciphertext.includes(plaintext)).toBe(false);
    expect(sealed.ciphertext.includes(Buffer.from("CANARY"))).toBe(false);
  });

  it("makes two different seals of the same plaintext", () => {
    const first = seal(context, plaintext);
    const second = seal(context, plaintext);
    expect(first.ciphertext.equals(second.ciphertext)).toBe(false);
    expect(first.wrappedKey.equals(second.wrappedKey)).toBe(false);
    expect(envelope.open(context, second, "x").equals(plaintext)).toBe(true);
  });

  it.each([
    ["the first byte (nonce)", 0],
    ["a payload byte", 14],
    ["the last byte (tag)", -1],
  ])("refuses a ciphertext with a flipped byte in %s", (_label, at) => {
    const sealed = seal(context, plaintext);
    const index = at < 0 ? sealed.ciphertext.length + at : at;
    const error = openError(() =>
      envelope.open(
        context,
        { ...sealed, ciphertext: flipByte(sealed.ciphertext, index) },
        "Secret 'db' version 3",
      ),
    );
    expect(error.code).toBe("integrity");
    expect(error.message).toBe(
      "Secret 'db' version 3 failed its integrity check: the stored data was changed or moved",
    );
  });

  it.each([0, 12, 20, -1])("refuses a wrapped key with a flipped byte at %i", (at) => {
    const sealed = seal(context, plaintext);
    const index = at < 0 ? sealed.wrappedKey.length + at : at;
    const error = openError(() =>
      envelope.open(
        context,
        { ...sealed, wrappedKey: flipByte(sealed.wrappedKey, index) },
        "Secret 'db' version 3",
      ),
    );
    expect(error.message).toMatch(/failed its integrity check: the stored data was changed or moved/);
  });

  it("refuses truncated and empty data", () => {
    const sealed = seal(context, plaintext);
    openError(() =>
      envelope.open(context, { ...sealed, ciphertext: sealed.ciphertext.subarray(0, 20) }, "x"),
    );
    openError(() => envelope.open(context, { ...sealed, ciphertext: Buffer.alloc(0) }, "x"));
    openError(() => envelope.open(context, { ...sealed, wrappedKey: Buffer.alloc(0) }, "x"));
  });

  it.each<[string, Partial<SealContext>]>([
    ["another secret", { secretId: "st-b" }],
    ["another version", { version: 2 }],
    ["the next version", { version: 4 }],
    ["another environment", { environmentId: "en-b" }],
    ["another workspace", { workspaceId: "ws-b" }],
  ])("refuses ciphertext moved to %s", (_label, change) => {
    const sealed = seal(context, plaintext);
    const error = openError(() => envelope.open({ ...context, ...change }, sealed, "Secret 'moved'"));
    expect(error.message).toMatch(/changed or moved/);
  });

  it("refuses changed and moved data after its data key was opened (and cached)", () => {
    const sealed = seal(context, plaintext);
    const other = seal(context, plaintext);
    expect(envelope.open(context, sealed, "x").equals(plaintext)).toBe(true);
    expect(envelope.open(context, other, "x").equals(plaintext)).toBe(true);
    openError(() => envelope.open(context, { ...sealed, ciphertext: flipByte(sealed.ciphertext, 14) }, "x"));
    openError(() => envelope.open(context, { ...sealed, wrappedKey: flipByte(sealed.wrappedKey, 20) }, "x"));
    openError(() => envelope.open({ ...context, secretId: "st-b" }, sealed, "x"));
    openError(() => envelope.open(context, { ...sealed, wrappedKey: other.wrappedKey }, "x"));
    expect(envelope.open(context, sealed, "x").equals(plaintext)).toBe(true);
  });

  it("refuses a payload whose data key was swapped for another seal's", () => {
    const first = seal(context, plaintext);
    const second = seal(context, plaintext);
    openError(() => envelope.open(context, { ...first, wrappedKey: second.wrappedKey }, "x"));
  });

  it("refuses data sealed under another master key, naming the key id", () => {
    const otherKey = newMasterKey();
    const sealed = createEnvelope([otherKey]).seal(context, plaintext, otherKey.id);
    const error = openError(() => envelope.open(context, sealed, "Secret 'db' version 3"));
    expect(error.message).toBe(
      `Secret 'db' version 3 is encrypted under master key ${otherKey.id}, which this process does not hold`,
    );
    // Even when the key id is forged, the data does not open.
    const forged: Sealed = { ...sealed, keyId: masterKey.id };
    expect(openError(() => envelope.open(context, forged, "x")).message).toMatch(/integrity check/);
  });

  it("refuses to wrap under a master key it does not hold", () => {
    expect(() => envelope.seal(context, plaintext, newMasterKey().id)).toThrow(
      /^This process does not hold the store's current master key [0-9a-f]{16}/,
    );
  });

  it("verifies its own key check and not another key's", () => {
    const otherKey = newMasterKey();
    const check = envelope.keyCheck(masterKey.id);
    expect(envelope.verifiesKeyCheck(masterKey.id, check)).toBe(true);
    expect(envelope.verifiesKeyCheck(masterKey.id, createEnvelope([otherKey]).keyCheck(otherKey.id))).toBe(
      false,
    );
    expect(envelope.verifiesKeyCheck(otherKey.id, check)).toBe(false);
    expect(envelope.verifiesKeyCheck(masterKey.id, Buffer.alloc(3))).toBe(false);
  });
});

describe("createEnvelope with a ring of master keys", () => {
  it("re-wraps a data key under another key of the ring, leaving the ciphertext as it is", () => {
    const [oldKey, newKey] = [newMasterKey(), newMasterKey()];
    const sealed = createEnvelope([oldKey]).seal(context, plaintext, oldKey.id);
    const ring = createEnvelope([newKey, oldKey]);
    const rewrapped = { ...sealed, ...ring.rewrap(context, sealed, newKey.id, "x") };
    expect(rewrapped.keyId).toBe(newKey.id);
    expect(rewrapped.ciphertext).toBe(sealed.ciphertext);
    // The new key alone opens it now; the old key alone no longer does.
    expect(createEnvelope([newKey]).open(context, rewrapped, "x").equals(plaintext)).toBe(true);
    expect(() => createEnvelope([oldKey]).open(context, rewrapped, "x")).toThrow(IntegrityError);
    // Re-wrapping is bound to the payload's place like sealing is.
    expect(() => ring.rewrap({ ...context, version: 9 }, sealed, newKey.id, "x")).toThrow(/changed or moved/);
  });

  it("reads its keys again when asked for one it lacks", () => {
    const [oldKey, newKey] = [newMasterKey(), newMasterKey()];
    let source = [oldKey];
    const envelope = createEnvelope(source, () => source);
    source = [newKey, oldKey];
    const sealed = envelope.seal(context, plaintext, newKey.id);
    expect(envelope.keyIds()).toEqual([newKey.id, oldKey.id]);
    expect(envelope.open(context, sealed, "x").equals(plaintext)).toBe(true);
  });
});
