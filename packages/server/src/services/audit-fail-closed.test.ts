import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setAuditWritable } from "../test-support/audit-refusal.js";
import { openTempLockbox, type TempLockbox } from "../test-support/temp-lockbox.js";

const canary = "CANARY-fail-closed-7c41";
const ref = { environment: "main", name: "guarded" };
let box: TempLockbox;

beforeEach(async () => {
  box = await openTempLockbox();
  await box.services.secrets.create(box.admin, { ...ref, values: { TOKEN: canary } });
});
afterEach(async () => {
  await box.dispose();
});

describe("reads of values when the audit log cannot be written", () => {
  it("are refused, every one, and so are changes; all resume once it can", async () => {
    const { secrets } = box.services;
    await setAuditWritable(box.dataDir, false);

    const attempts = {
      reveal: () => secrets.reveal(box.admin, ref),
      export: () => secrets.export(box.admin, { ...ref, format: "dotenv" }),
      resolve: () => secrets.resolve(box.admin, { environment: "main", secrets: [{ name: ref.name }] }),
      "container start": () =>
        secrets.resolve(box.admin, {
          environment: "main",
          use: "container",
          secrets: [{ name: ref.name, version: 1 }],
        }),
      update: () => secrets.update(box.admin, { ...ref, set: { TOKEN: "changed" } }),
    };
    for (const [what, attempt] of Object.entries(attempts)) {
      const outcome = await attempt().then(
        (value) => ({ refused: false, text: JSON.stringify(value) }),
        (error: Error) => ({ refused: true, text: error.message }),
      );
      expect({ what, refused: outcome.refused }).toEqual({ what, refused: true });
      expect(outcome.text).toMatch(/the audit log cannot be written/);
      expect(outcome.text).not.toContain(canary);
    }
    // Nothing was changed while the log could not record it.
    expect((await secrets.history(box.admin, ref)).map((version) => version.version)).toEqual([1]);

    await setAuditWritable(box.dataDir, true);
    expect((await secrets.reveal(box.admin, ref)).values).toEqual({ TOKEN: canary });
    const actions = (await box.services.audit.list(box.admin)).map((entry) => entry.action);
    expect(actions).toEqual(["secret.reveal", "secret.create"]);
    expect((await box.services.audit.verify(box.admin)).problems).toEqual([]);
  });
});
