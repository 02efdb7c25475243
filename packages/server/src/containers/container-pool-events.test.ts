import { afterAll, describe, expect, it, vi } from "vitest";
import {
  captureOutput,
  processesWith,
  type TestBundle,
  writeTestBundle,
} from "../test-support/container-bundle.js";
import { createContainerPool } from "./container-pool.js";
import type { CallOutcome, ContainerSource, ContainerSpec } from "./container-types.js";

const start = (spec: ContainerSpec) => async () => spec;

describe("createContainerPool's events", () => {
  const bundles: TestBundle[] = [];
  afterAll(() => {
    for (const bundle of bundles) bundle.remove();
  });
  // A bundle of its own for each cold start: no spare of another call's bundle can serve it.
  const fresh = async () => {
    const bundle = await writeTestBundle();
    bundles.push(bundle);
    return bundle;
  };

  it("tell how each call got its container (cold, spare, warm) and how it ended", async () => {
    const found: ContainerSource[] = [];
    const ended: CallOutcome[] = [];
    const output = captureOutput();
    const pool = createContainerPool({
      backend: "process",
      output,
      events: { containerFound: (source) => found.push(source), callEnded: (outcome) => ended.push(outcome) },
    });
    try {
      const shared = await fresh();
      await pool.call("a", start(shared.spec("whoami")), []);
      await pool.call("a", start(shared.spec("whoami")), []);
      // The bundle's spare, started after the first call, serves a call of another key.
      const spares = () =>
        processesWith(shared.dir).length - processesWith(shared.dir, { spares: false }).length;
      await vi.waitFor(() => expect(spares()).toBeGreaterThan(0), { timeout: 3000 });
      await pool.call("b", start(shared.spec("whoami")), []);

      await expect(pool.call("fail", start((await fresh()).spec("fail")), [])).rejects.toThrow("it broke");
      const slow = (await fresh()).spec("sleep", { timeoutMs: 200 });
      await expect(pool.call("slow", start(slow), [60_000])).rejects.toThrow("timed out");
      const cancel = new AbortController();
      const held = pool.call("held", start((await fresh()).spec("announceSleep")), [60_000], {
        signal: cancel.signal,
      });
      await vi.waitFor(() => expect(output.text().stdout).toContain("sleeping\n"), { timeout: 5000 });
      cancel.abort();
      await expect(held).rejects.toThrow("cancelled");

      expect(found).toEqual(["cold", "warm", "spare", "cold", "cold", "cold"]);
      expect(ended).toEqual(["ok", "ok", "ok", "remote_error", "function_timeout", "cancelled"]);
    } finally {
      await pool.close();
    }
  });
});
