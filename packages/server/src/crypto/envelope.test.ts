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
  const envelope = createEnvelope(newMasterKey());

  it("round-trips a payload", () => {
    const sealed = envelope.seal(context, plaintext);
    expect(sealed.keyId).toBe(envelope.keyId);
    expect(envelope.open(context, sealed, "Secret 'x'").equals(plaintext)).toBe(true);
  });

  it("round-trips an empty payload", () => {
    const sealed = envelope.seal(context, Buffer.alloc(0));
    expect(envelope.open(context, sealed, "Secret 'x'").length).toBe(0);
  });

  it("does not contain the plaintext in what it stores", () => {
    const sealed = envelope.seal(context, plaintext);
    expect(sealed.ciphertext.includes(plaintext)).toBe(false);
    expect(sealed.ciphertext.includes(Buffer.from("CANARY"))).toBe(false);
  });

  it("makes two different seals of the same plaintext", () => {
    const first = envelope.seal(context, plaintext);
    const second = envelope.seal(context, plaintext);
    expect(first.ciphertext.equals(second.ciphertext)).toBe(false);
    expect(first.wrappedKey.equals(second.wrappedKey)).toBe(false);
    expect(envelope.open(context, second, "x").equals(plaintext)).toBe(true);
  });

  it.each([
    ["the first byte (nonce)", 0],
    ["a payload byte", 14],
    ["the last byte (tag)", -1],
  ])("refuses a ciphertext with a flipped byte in %s", (_label, at) => {
    const sealed = envelope.seal(context, plaintext);
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
    const sealed = envelope.seal(context, plaintext);
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
    const sealed = envelope.seal(context, plaintext);
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
    const sealed = envelope.seal(context, plaintext);
    const error = openError(() => envelope.open({ ...context, ...change }, sealed, "Secret 'moved'"));
    expect(error.message).toMatch(/changed or moved/);
  });

  it("refuses a payload whose data key was swapped for another seal's", () => {
    const first = envelope.seal(context, plaintext);
    const second = envelope.seal(context, plaintext);
    openError(() => envelope.open(context, { ...first, wrappedKey: second.wrappedKey }, "x"));
  });

  it("refuses data sealed under another master key, naming the key id", () => {
    const other = createEnvelope(newMasterKey());
    const sealed = other.seal(context, plaintext);
    const error = openError(() => envelope.open(context, sealed, "Secret 'db' version 3"));
    expect(error.message).toBe(
      `Secret 'db' version 3 is encrypted under master key ${other.keyId}, not the one in use`,
    );
    // Even when the key id is forged, the data does not open.
    const forged: Sealed = { ...sealed, keyId: envelope.keyId };
    expect(openError(() => envelope.open(context, forged, "x")).message).toMatch(/integrity check/);
  });

  it("verifies its own key check and not another key's", () => {
    const other = createEnvelope(newMasterKey());
    expect(envelope.verifiesKeyCheck(envelope.keyCheck())).toBe(true);
    expect(envelope.verifiesKeyCheck(other.keyCheck())).toBe(false);
    expect(envelope.verifiesKeyCheck(Buffer.alloc(3))).toBe(false);
  });
});
