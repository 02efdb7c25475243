import { InvalidError, quote } from "@lockbox/server/shared";

/** Never names the argument: it may hold a secret value. */
const pairFormMessage =
  "Each item should be of the form <KEY>=VALUE. To read a value from standard input, use <KEY>=-. " +
  'To take a value from an environment variable, use <KEY>="$ENV_VAR".';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("Type the value, then press Ctrl-D on a new line:\n");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** Parses `KEY=VALUE` arguments, split on the first `=`, each key once; `KEY=-` takes the value from standard input. */
export async function parseKeyValues(pairs: readonly string[]): Promise<Record<string, string>> {
  const values = new Map<string, string>();
  let stdinKey: string | undefined;
  for (const pair of pairs) {
    const split = pair.indexOf("=");
    if (split < 0) throw new InvalidError(pairFormMessage);
    const key = pair.slice(0, split);
    const value = pair.slice(split + 1);
    // Keeping the last of two would drop a value without a word; the key alone is named.
    if (values.has(key)) throw new InvalidError(`Key ${quote(key)} is given twice: give each key once`);
    if (value === "-") {
      if (stdinKey !== undefined)
        throw new InvalidError("Only one key can read its value from standard input");
      stdinKey = key;
    }
    values.set(key, value);
  }
  if (stdinKey !== undefined) values.set(stdinKey, await readStdin());
  // Object.fromEntries defines each key, so "__proto__" stays a key.
  return Object.fromEntries(values);
}
