import { limits } from "./rules.js";

/**
 * Every item of a list, read a page of the largest size at a time (the SDK, the CLI and the
 * dashboard alike): `read` answers the page after `cursor`, and `cursorAfter` names a page's last item.
 */
export async function readAllPages<T, C>(
  read: (limit: number, cursor: C | undefined) => Promise<T[]>,
  cursorAfter: (last: T) => C,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: C | undefined;
  for (;;) {
    const page = await read(limits.pageSizeMax, cursor);
    all.push(...page);
    const last = page.at(-1);
    if (page.length < limits.pageSizeMax || last === undefined) return all;
    cursor = cursorAfter(last);
  }
}
