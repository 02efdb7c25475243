import { describe, expect, it } from "vitest";
import { readAllPages } from "./pages.js";
import { limits } from "./rules.js";

describe("readAllPages", () => {
  const items = Array.from({ length: 2 * limits.pageSizeMax + 1 }, (_, i) => i);
  const asked: (number | undefined)[] = [];
  // A list in order, a page after the cursor at a time, as the API answers it.
  const read = async (limit: number, after: number | undefined) => {
    asked.push(after);
    const start = after === undefined ? 0 : items.indexOf(after) + 1;
    return items.slice(start, start + limit);
  };

  it("reads every page, each after the last item of the one before, until a short page", async () => {
    asked.length = 0;
    expect(await readAllPages(read, (last) => last)).toEqual(items);
    expect(asked).toEqual([undefined, limits.pageSizeMax - 1, 2 * limits.pageSizeMax - 1]);
  });

  it("stops at an empty page after a full one", async () => {
    asked.length = 0;
    const full = items.slice(0, limits.pageSizeMax);
    expect(
      await readAllPages(
        async (limit, after: number | undefined) => (after === undefined ? full.slice(0, limit) : []),
        (last) => last,
      ),
    ).toEqual(full);
  });
});
