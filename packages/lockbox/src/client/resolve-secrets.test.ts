import type { LockboxApi, ResolveInput } from "@lockbox/server";
import { limits } from "@lockbox/server/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientApi } from "../sdk/client.js";
import { useTempHome } from "../test-support/sdk-home.js";
import { resolveSecrets } from "./resolve-secrets.js";

describe("resolveSecrets", () => {
  let home: ReturnType<typeof useTempHome>;
  let api: LockboxApi;
  const sent: ResolveInput[] = [];
  // The real embedded API, with the requests it is sent written down.
  const recording = (): Pick<LockboxApi, "secrets"> => ({
    secrets: {
      ...api.secrets,
      resolve: (input) => {
        sent.push(input);
        return api.secrets.resolve(input);
      },
    },
  });

  beforeAll(async () => {
    home = useTempHome();
    api = await clientApi();
    for (let i = 0; i < 150; i++)
      await api.secrets.create({ environment: "main", name: `s${i}`, values: { N: `${i}` } });
  });
  afterAll(() => home.restore());

  it("sends at most the limit, each secret once, and answers every wanted secret in order", async () => {
    const names = [...Array.from({ length: 150 }, (_, i) => `s${i}`), "s3", "s0"];
    sent.length = 0;
    const resolved = await resolveSecrets(recording(), {
      environment: "main",
      secrets: names.map((name) => ({ name })),
    });
    expect(resolved.map((secret) => secret.name)).toEqual(names);
    expect(resolved.at(-1)?.values).toEqual({ N: "0" });
    expect(sent.map((input) => input.secrets.length)).toEqual([limits.resolveMaxSecrets, 50]);
    for (const input of sent) {
      const sentNames = input.secrets.map((secret) => secret.name);
      expect(new Set(sentNames).size).toBe(sentNames.length);
    }
  });

  it("reads one secret pinned at two versions in two requests, and joins required keys", async () => {
    await api.secrets.update({ environment: "main", name: "s1", set: { N: "changed", M: "m" } });
    sent.length = 0;
    const resolved = await resolveSecrets(recording(), {
      environment: "main",
      secrets: [
        { name: "s1", version: 1 },
        { name: "s1", version: 2, requiredKeys: ["N"] },
        { name: "s1", version: 2, requiredKeys: ["M"] },
      ],
    });
    expect(resolved.map((secret) => [secret.version, secret.values.N])).toEqual([
      [1, "1"],
      [2, "changed"],
      [2, "changed"],
    ]);
    expect(sent.map((input) => input.secrets)).toEqual([
      [{ name: "s1", version: 1 }],
      [{ name: "s1", version: 2, requiredKeys: ["N", "M"] }],
    ]);
  });
});
