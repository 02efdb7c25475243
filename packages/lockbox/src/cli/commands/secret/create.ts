import { InvalidError, quote, valuesProblem } from "@lockbox/server/shared";
import { resolveEnvironment } from "../../../client/settings.js";
import { parseKeyValues } from "../../key-values.js";
import { print, quoteAll } from "../../output.js";
import { readDotenvFile, readJsonFile } from "../../secret-files.js";
import { withApi } from "../../with-api.js";

interface CreateSecretOptions {
  env?: string;
  fromDotenv?: string;
  fromJson?: string;
  force?: boolean;
}

/** Arguments, then the .env file, then the JSON file: later sources win. */
async function collectValues(pairs: string[], options: CreateSecretOptions): Promise<Record<string, string>> {
  const values = {
    ...(await parseKeyValues(pairs)),
    ...(options.fromDotenv === undefined ? {} : readDotenvFile(options.fromDotenv)),
    ...(options.fromJson === undefined ? {} : readJsonFile(options.fromJson)),
  };
  if (Object.keys(values).length === 0)
    throw new InvalidError("You need to specify at least one key for your secret");
  const problem = valuesProblem(values);
  if (problem) throw new InvalidError(problem);
  return values;
}

function usageSnippet(name: string, keys: string[]): string[] {
  return [
    "Use it in your Lockbox app:",
    "",
    `app.function({ secrets: [Secret.fromName("${name}")] }, async () => {`,
    ...keys.map((key) => `  process.env.${key};`),
    "});",
  ];
}

/** `lockbox secret create NAME [KEY=VALUE...]` */
export async function createSecret(
  name: string,
  pairs: string[],
  options: CreateSecretOptions,
): Promise<void> {
  const environment = resolveEnvironment(options.env);
  const values = await collectValues(pairs, options);
  const { secret } = await withApi((api) =>
    api.secrets.create({ environment, name, values, ifExists: options.force ? "replace" : "fail" }),
  );
  const keys = Object.keys(values);
  const noun = keys.length === 1 ? "key" : "keys";
  print(
    secret.version === 1
      ? `Created a new secret ${quote(name)} with the ${noun} ${quoteAll(keys)}`
      : `Replaced secret ${quote(name)}: it now has the ${noun} ${quoteAll(keys)}`,
    "",
    ...usageSnippet(name, keys),
  );
}
