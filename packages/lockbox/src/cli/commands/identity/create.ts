import { InvalidError, quote, type Role } from "@lockbox/server/shared";
import { printJson } from "../../output.js";
import { withApi } from "../../with-api.js";
import { printIdentity } from "./show.js";

interface CreateIdentityOptions {
  issuer: string;
  audience: string;
  subject: string;
  claim: string[];
  role: Role;
  env?: string;
  ttl?: number;
  json?: boolean;
}

/** `--claim KEY=VALUE` items as an object, split on the first `=`, each key once. */
function parseClaims(items: readonly string[]): Record<string, string> {
  const claims = new Map<string, string>();
  for (const item of items) {
    const split = item.indexOf("=");
    if (split <= 0) throw new InvalidError(`Invalid --claim ${quote(item)}: give it as KEY=VALUE`);
    const key = item.slice(0, split);
    if (claims.has(key)) throw new InvalidError(`Claim ${quote(key)} is given twice: give each claim once`);
    claims.set(key, item.slice(split + 1));
  }
  return Object.fromEntries(claims);
}

/** `lockbox identity create NAME --issuer URL --audience AUD --subject PATTERN --role ROLE …` */
export async function createIdentity(name: string, options: CreateIdentityOptions): Promise<void> {
  const identity = await withApi((api) =>
    api.identities.create({
      name,
      issuer: options.issuer,
      audience: options.audience,
      subject: options.subject,
      claims: parseClaims(options.claim),
      role: options.role,
      environment: options.env,
      ttlSeconds: options.ttl,
    }),
  );
  if (options.json) printJson(identity);
  else printIdentity(identity, `Created identity ${quote(identity.name)}`);
}
