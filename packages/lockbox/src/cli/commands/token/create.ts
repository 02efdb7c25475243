import { InvalidError, quote, type Role, roles } from "@lockbox/server/shared";
import { print, printJson } from "../../output.js";
import { withApi } from "../../with-api.js";

interface CreateTokenOptions {
  role?: string;
  workspace?: string;
  env?: string;
  /** The older spelling of `env`. */
  environment?: string;
  name?: string;
  expiresIn?: number;
  json?: boolean;
}

function parseRole(role: string | undefined): Role | undefined {
  if (role !== undefined && !(roles as readonly string[]).includes(role)) {
    throw new InvalidError(`Invalid role ${quote(role)}: use one of ${roles.join(", ")}`);
  }
  return role as Role | undefined;
}

/** `lockbox token create`: prints the token's value, once. */
export async function createToken(options: CreateTokenOptions): Promise<void> {
  const role = parseRole(options.role);
  const { token, value } = await withApi((api) =>
    api.tokens.create({
      role,
      workspace: options.workspace,
      environment: options.env ?? options.environment,
      name: options.name,
      expiresInSeconds: options.expiresIn,
    }),
  );
  if (options.json) {
    printJson({ ...token, value });
    return;
  }
  const scope = token.environment === null ? "" : `, environment ${quote(token.environment)} only`;
  print(
    `Created ${token.role} token ${quote(token.name)} (id ${token.id}) for workspace ${quote(token.workspace)}${scope}`,
    `Token (shown once, keep it safe): ${value}`,
  );
}
