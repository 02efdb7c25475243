import { AlreadyExistsError, InvalidError, NotFoundError } from "@lockbox/server/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTempHome } from "../test-support/sdk-home.js";
import { clientApi } from "./client.js";
import { Secret } from "./secret.js";

describe("Secret.objects in embedded mode", () => {
  let home: ReturnType<typeof useTempHome>;
  beforeAll(async () => {
    home = useTempHome();
    await (await clientApi()).environments.create("dev");
  });
  afterAll(() => home.restore());

  it("creates, lists and deletes named secrets", async () => {
    await Secret.objects.create("first", { A: "1" });
    await Secret.objects.create("second", { B: "2", DROPPED: undefined } as unknown as Record<
      string,
      string
    >);
    const listed = await Secret.objects.list();
    expect(listed.map((secret) => secret.name)).toEqual(["second", "first"]);
    expect(listed[0]).toBeInstanceOf(Secret);
    await Secret.objects.delete("first");
    expect((await Secret.objects.list()).map((secret) => secret.name)).toEqual(["second"]);
    await Secret.objects.delete("second");
  });

  it("refuses a taken name unless allowExisting, which keeps the old values", async () => {
    await Secret.objects.create("taken", { A: "old" });
    await expect(Secret.objects.create("taken", { A: "new" })).rejects.toThrow(AlreadyExistsError);
    await Secret.objects.create("taken", { A: "new" }, { allowExisting: true });
    const { values } = await (await clientApi()).secrets.reveal({ environment: "main", name: "taken" });
    expect(values).toEqual({ A: "old" });
  });

  it("deletes a missing secret only with allowMissing", async () => {
    await expect(Secret.objects.delete("never-made")).rejects.toThrow(NotFoundError);
    await expect(Secret.objects.delete("never-made", { allowMissing: true })).resolves.toBeUndefined();
  });

  it("keeps environments apart", async () => {
    await Secret.objects.create("scoped", { A: "dev" }, { environment: "dev" });
    const dev = await Secret.objects.list({ environment: "dev" });
    expect(dev.map((secret) => secret.name)).toEqual(["scoped"]);
    expect((await Secret.objects.list()).map((secret) => secret.name)).not.toContain("scoped");
    await expect(Secret.fromName("scoped").info()).rejects.toThrow(NotFoundError);
    expect((await Secret.fromName("scoped", { environment: "dev" }).info()).name).toBe("scoped");
  });

  it("checks names and values before calling the store", async () => {
    await expect(Secret.objects.create("bad name", { A: "1" })).rejects.toThrow(InvalidError);
    await expect(Secret.objects.create("ok", { A: 1 as unknown as string })).rejects.toThrow(
      "Non-string value for secret 'A'",
    );
  });

  it("update merges keys into a new version; info tells who made it and when", async () => {
    const before = Date.now();
    await Secret.objects.create("merged", { A: "1", B: "2" });
    const secret = Secret.fromName("merged");
    await secret.update({ B: "3", C: "4" });
    const api = await clientApi();
    const { values, version } = await api.secrets.reveal({ environment: "main", name: "merged" });
    expect(values).toEqual({ A: "1", B: "3", C: "4" });
    expect(version).toBe(2);
    const info = await secret.info();
    expect(info.name).toBe("merged");
    expect(info.createdAt).toBeInstanceOf(Date);
    expect(info.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(info.createdBy).toEqual(expect.any(String));
    await expect(secret.update({ D: 5 as unknown as string })).rejects.toThrow(InvalidError);
  });

  it("paginates past one page", async () => {
    for (let i = 0; i < 105; i++)
      await Secret.objects.create(`page-${i}`, { A: "1" }, { environment: "dev" });
    const names = (await Secret.objects.list({ environment: "dev" })).map((secret) => secret.name);
    expect(names).toHaveLength(106);
    expect(new Set(names).size).toBe(106);
    expect(names[0]).toBe("page-104");
  });
});
