import { assertEnvironmentName } from "@lockbox/server/shared";

/**
 * The environment for a call: checked when explicit, else `LOCKBOX_ENVIRONMENT`, the profile,
 * then `main`. The settings load on first use, not with the SDK.
 */
export async function environmentFor(explicit: string | undefined): Promise<string> {
  if (explicit !== undefined) assertEnvironmentName(explicit);
  const { resolveEnvironment } = await import("../client/settings.js");
  return resolveEnvironment(explicit);
}
