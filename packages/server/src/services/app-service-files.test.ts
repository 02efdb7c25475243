import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { deployedContents, type FunctionFiles, functionContents } from "../containers/deployed-files.js";
import type { DeployInput } from "../services/app-service.js";
import { InvalidError } from "../shared/errors.js";
import { limits } from "../shared/rules.js";
import { openTempLockbox, type TempLockbox } from "../test-support/temp-lockbox.js";

let box: TempLockbox;
beforeEach(async () => {
  box = await openTempLockbox();
});
afterEach(() => box.dispose());

const sha256 = (content: Buffer) => createHash("sha256").update(content).digest("hex");
const words = Buffer.from("alpha beta\n");
const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const deploy = (overrides: Partial<DeployInput> = {}): DeployInput => ({
  environment: "main",
  name: "with-files",
  bundle: "export const x = 1;",
  functions: [
    {
      name: "f",
      index: 0,
      secrets: [],
      files: [
        { path: "/data/words.txt", kind: "file", sha256: sha256(words) },
        { path: "/app/assets", kind: "folder" },
        { path: "/app/assets/blob.bin", kind: "file", sha256: sha256(binary), executable: true },
      ],
    },
    {
      name: "g",
      index: 1,
      secrets: [],
      files: [{ path: "/data/words.txt", kind: "file", sha256: sha256(words) }],
    },
  ],
  files: { [sha256(words)]: words.toString("base64"), [sha256(binary)]: binary.toString("base64") },
  ...overrides,
});
const ref = { environment: "main", name: "with-files" };

describe("a deploy's files", () => {
  it("are stored with the deploy, each content once, and read back byte for byte", async () => {
    await box.services.apps.deploy(box.admin, deploy());
    const stored = await box.services.apps.get(box.admin, ref);
    expect(stored.functions.map((fn) => fn.files)).toEqual(deploy().functions.map((fn) => fn.files));
    expect(Object.keys(stored.files ?? {}).sort()).toEqual([sha256(words), sha256(binary)].sort());
    expect(Buffer.from(stored.files?.[sha256(binary)] ?? "", "base64").equals(binary)).toBe(true);
    expect(Buffer.from(stored.files?.[sha256(words)] ?? "", "base64").equals(words)).toBe(true);
    // Each deploy has its own: the next one, without files, has none.
    await box.services.apps.deploy(box.admin, {
      ...deploy(),
      functions: [{ name: "f", index: 0, secrets: [] }],
      files: undefined,
    });
    const next = await box.services.apps.get(box.admin, ref);
    expect([next.version, next.files, next.functions[0]?.files]).toEqual([2, {}, undefined]);
  });

  it.each([
    [
      "a content that does not match its SHA-256",
      { files: { [sha256(words)]: binary.toString("base64"), [sha256(binary)]: binary.toString("base64") } },
      "does not match its SHA-256",
    ],
    ["a missing content", { files: { [sha256(words)]: words.toString("base64") } }, "lacks the content"],
    [
      "a content no function uses",
      { files: { ...deploy().files, [sha256(Buffer.from("x"))]: Buffer.from("x").toString("base64") } },
      "that no function uses",
    ],
    [
      "a path over the container's own folders",
      {
        functions: [
          { name: "f", index: 0, secrets: [], files: [{ path: "/etc/x", kind: "folder" as const }] },
        ],
        files: {},
      },
      "would cover the container's own /etc",
    ],
    [
      "overlapping paths given",
      {
        functions: [
          {
            name: "f",
            index: 0,
            secrets: [],
            files: [
              { path: "/data", kind: "file" as const, sha256: sha256(words) },
              { path: "/data/words.txt", kind: "file" as const, sha256: sha256(words) },
            ],
          },
        ],
        files: { [sha256(words)]: words.toString("base64") },
      },
      "overlap",
    ],
  ])("refuses %s and stores nothing", async (_, overrides, message) => {
    const refused = box.services.apps.deploy(box.admin, deploy(overrides as Partial<DeployInput>));
    await expect(refused).rejects.toThrow(InvalidError);
    await expect(
      box.services.apps.deploy(box.admin, deploy(overrides as Partial<DeployInput>)),
    ).rejects.toThrow(message);
    expect(await box.services.apps.list(box.admin, { environment: "main" })).toEqual([]);
  });

  it("refuses more bytes of files than the limit", async () => {
    const big = Buffer.alloc(limits.filesMaxBytes + 1);
    const input = deploy({
      functions: [
        {
          name: "f",
          index: 0,
          secrets: [],
          files: [{ path: "/data/big", kind: "file", sha256: sha256(big) }],
        },
      ],
      files: { [sha256(big)]: big.toString("base64") },
    });
    await expect(box.services.apps.deploy(box.admin, input)).rejects.toThrow(
      `The files of a deploy are over ${limits.filesMaxBytes} bytes together`,
    );
  });
});

describe("deployedContents and functionContents", () => {
  // Over the limit only when each listed copy is counted: what a caller would write out.
  const half = Buffer.alloc(limits.filesMaxBytes / 2 + 1, 1);
  const copies: FunctionFiles = {
    name: "f",
    files: [
      { path: "/data/a", kind: "file", sha256: sha256(half) },
      { path: "/data/b", kind: "file", sha256: sha256(half) },
    ],
  };
  const carried = { [sha256(half)]: half.toString("base64") };

  it("refuses a deploy whose function's files come over the limit with each listed copy counted", () => {
    expect(() => deployedContents([copies], carried)).toThrow(
      `The files of function 'f' come to more than ${limits.filesMaxBytes} bytes, each listed copy counted`,
    );
    expect(() => deployedContents([{ ...copies, files: copies.files?.slice(0, 1) }], carried)).not.toThrow();
  });

  it("checks again, for a caller, the list, each content's hash and the limit of the function it writes", () => {
    const one = {
      name: "g",
      files: [{ path: "/data/words.txt", kind: "file" as const, sha256: sha256(words) }],
    };
    const ok = { [sha256(words)]: words.toString("base64") };
    expect(functionContents(one, ok).get(sha256(words))?.equals(words)).toBe(true);
    const traversal = { name: "g", files: [{ path: "/../../etc/cron.d/x", kind: "folder" as const }] };
    expect(() => functionContents(traversal, {})).toThrow("Deployed function 'g': The `files` path");
    expect(() => functionContents(one, { [sha256(words)]: binary.toString("base64") })).toThrow(
      "does not match its SHA-256",
    );
    expect(() => functionContents(one, {})).toThrow("lacks the content");
    expect(() => functionContents(copies, carried)).toThrow("each listed copy counted");
  });
});
