import { createInterface } from "node:readline";
import { InvalidError } from "@lockbox/server/shared";

/** The user answered no: nothing was changed. */
export class AbortedError extends Error {}

/** One line from the terminal; undefined on end of input or Ctrl-C. */
function ask(prompt: string): Promise<string | undefined> {
  const reader = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    reader.once("line", (line) => {
      resolve(line);
      reader.close();
    });
    reader.once("close", () => resolve(undefined));
    reader.once("SIGINT", () => reader.close());
    reader.setPrompt(prompt);
    reader.prompt();
  });
}

/**
 * Asks before an irreversible deletion of `what` (e.g. "the secret 'x' in environment 'main'"),
 * unless `yes`. Without a terminal to ask on, it refuses rather than guess.
 */
export async function confirmDeletion(what: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) {
    throw new InvalidError(
      `Not deleting ${what} without confirmation: standard input is not a terminal; pass --yes`,
    );
  }
  const answer = await ask(`Are you sure you want to irrevocably delete ${what}? [y/N] `);
  if (!/^(y|yes)$/i.test(answer?.trim() ?? "")) throw new AbortedError("Aborted: nothing was deleted");
}
