import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anyStringValue, validKey, validValue, validValues } from "../test-support/arbitraries.js";
import { expectSameValues } from "../test-support/same-values.js";
import { openTempLockbox, type TempLockbox } from "../test-support/temp-lockbox.js";

let box: TempLockbox;
beforeAll(async () => {
  box = await openTempLockbox();
});
afterAll(async () => {
  await box.dispose();
});

const environment = "main";
const runs = { numRuns: 100 };
// Any string without NUL, lone surrogates included: the store and JSON keep them exactly.
const anyValues = validValues({ value: fc.oneof(validValue, anyStringValue) });
let count = 0;
/** A fresh secret name for each run, so that runs do not see each other's secrets. */
const nextName = () => `roundtrip-${++count}`;

/** The `data:` entries of a Kubernetes manifest, base64-decoded (keys YAML would misread are JSON-quoted). */
function k8sData(manifest: string): Record<string, string> {
  const entries = [...manifest.matchAll(/^ {2}("[^"]+"|[A-Za-z0-9_]+): ([A-Za-z0-9+/=]*)$/gm)].map(
    ([, key = "", data = ""]) => [
      key.startsWith('"') ? (JSON.parse(key) as string) : key,
      Buffer.from(data, "base64").toString("utf8"),
    ],
  );
  return Object.fromEntries(entries) as Record<string, string>;
}

describe("a secret with arbitrary valid keys and values", () => {
  it("reveals exactly what it was created with, and lists exactly its keys", async () => {
    await fc.assert(
      fc.asyncProperty(anyValues, async (values) => {
        const name = nextName();
        const { secret } = await box.services.secrets.create(box.admin, { environment, name, values });
        expect(secret.keys).toEqual(Object.keys(values).sort());
        const revealed = await box.services.secrets.reveal(box.admin, { environment, name });
        expectSameValues(revealed.values, values);
        const json = await box.services.secrets.export(box.admin, { environment, name, format: "json" });
        expectSameValues(JSON.parse(json) as Record<string, string>, values);
      }),
      runs,
    );
  });

  // Kubernetes data are UTF-8 bytes, which cannot hold a lone surrogate: well-formed values only.
  it("exports as a Kubernetes Secret whose data decode to exactly its values", async () => {
    await fc.assert(
      fc.asyncProperty(validValues(), async (values) => {
        const name = nextName();
        await box.services.secrets.create(box.admin, { environment, name, values });
        const manifest = await box.services.secrets.export(box.admin, { environment, name, format: "k8s" });
        expectSameValues(k8sData(manifest), values);
      }),
      runs,
    );
  });

  it("changes by update to exactly the merged values, with a history that names the changed keys", async () => {
    const change = fc.record({
      set: validValues({ maxKeys: 4 }),
      unsetCount: fc.nat({ max: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(anyValues, change, async (before, { set, unsetCount }) => {
        // Only keys the secret has: removing any other key is refused (secret-service.test.ts).
        const unset = Object.keys(before)
          .filter((key) => !Object.hasOwn(set, key))
          .slice(0, unsetCount);
        const name = nextName();
        const ref = { environment, name };
        await box.services.secrets.create(box.admin, { ...ref, values: before });
        await box.services.secrets.update(box.admin, { ...ref, set, unset });

        const expected = Object.fromEntries(
          Object.entries({ ...before, ...set }).filter(([key]) => !unset.includes(key)),
        ) as Record<string, string>;
        expectSameValues((await box.services.secrets.reveal(box.admin, ref)).values, expected);

        const changed = Object.keys(expected).filter(
          (key) => Object.hasOwn(before, key) && before[key] !== expected[key],
        );
        const added = Object.keys(expected).filter((key) => !Object.hasOwn(before, key));
        const removed = Object.keys(before).filter((key) => !Object.hasOwn(expected, key));
        const [latest] = await box.services.secrets.history(box.admin, ref);
        if (changed.length + added.length + removed.length === 0) {
          expect(latest?.version).toBe(1);
        } else {
          expect(latest).toMatchObject({ version: 2, changed: changed.sort(), added: added.sort() });
          expect(latest?.removed).toEqual(removed.sort());
        }
      }),
      runs,
    );
  });

  it("keeps a value of the longest allowed length exactly", async () => {
    await fc.assert(
      fc.asyncProperty(validKey, validValue, async (key, piece) => {
        const filler = piece || "x";
        const value = filler.repeat(Math.ceil(32_768 / filler.length)).slice(0, 32_768);
        const values = Object.fromEntries([[key, value]]) as Record<string, string>;
        const name = nextName();
        await box.services.secrets.create(box.admin, { environment, name, values });
        expectSameValues(
          (await box.services.secrets.reveal(box.admin, { environment, name })).values,
          values,
        );
      }),
      { numRuns: 20 },
    );
  });
});
