import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Config, parseConfig } from "@lockbox/server/config";
import { defaultEnvironment, InvalidError } from "@lockbox/server/shared";

/**
 * The settings of the CLI's commands and the SDK, from `LOCKBOX_*` variables: read again at
 * each use, as a program may set them after it imported the SDK.
 */
export const clientConfig = (): Config<"client"> => parseConfig("client", { env: process.env });

/** The data folder: `LOCKBOX_HOME`, else `~/.lockbox`. */
const lockboxHome = (): string => clientConfig().dataDir;

const profileFileName = "profile.json";

interface Profile {
  environment?: string;
}

/** The optional profile file `$LOCKBOX_HOME/profile.json`; a missing file is an empty profile. */
function readProfile(): Profile {
  const path = join(lockboxHome(), profileFileName);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new InvalidError(`Could not read the profile file at ${path}`);
  }
  let profile: unknown;
  try {
    profile = JSON.parse(text);
  } catch {
    throw new InvalidError(`Could not parse the profile file at ${path}: it is not valid JSON`);
  }
  const environment = (profile as Profile | null)?.environment;
  if (environment !== undefined && typeof environment !== "string") {
    throw new InvalidError(`Invalid profile file at ${path}: "environment" must be a string`);
  }
  return environment === undefined ? {} : { environment };
}

/** The environment to use: the explicit option, then `LOCKBOX_ENVIRONMENT`, then the profile, then `main`. */
export function resolveEnvironment(explicit?: string): string {
  return explicit || clientConfig().environment || readProfile().environment || defaultEnvironment;
}
