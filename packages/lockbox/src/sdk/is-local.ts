import { insideContainer } from "@lockbox/server/shared";

/**
 * `true` everywhere except inside a function's container.
 * @example const local = isLocal() ? Secret.fromDict({ FOO: process.env.LOCAL_FOO }) : Secret.fromDict({});
 */
export function isLocal(): boolean {
  return !insideContainer();
}
