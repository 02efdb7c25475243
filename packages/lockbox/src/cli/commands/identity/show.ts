import type { IdentityInfo } from "@lockbox/server";
import { formatTime, print, printJson } from "../../output.js";
import { withApi } from "../../with-api.js";

/** The identity, one field a line, under `title`. */
export function printIdentity(identity: IdentityInfo, title: string): void {
  const claims = Object.entries(identity.claims).map(([key, value]) => `${key}=${value}`);
  print(
    title,
    `  Issuer:      ${identity.issuer}`,
    `  Audience:    ${identity.audience}`,
    `  Subject:     ${identity.subject}`,
    `  Claims:      ${claims.length === 0 ? "none" : claims.join(", ")}`,
    `  Role:        ${identity.role}`,
    `  Environment: ${identity.environment ?? "all"}`,
    `  TTL:         ${identity.ttlSeconds} s`,
    `  Created:     ${formatTime(identity.createdAt)} by ${identity.createdBy}`,
  );
}

/** `lockbox identity show NAME` */
export async function showIdentity(name: string, options: { json?: boolean }): Promise<void> {
  const identity = await withApi((api) => api.identities.get(name));
  if (options.json) printJson(identity);
  else printIdentity(identity, `Identity ${identity.name}`);
}
