import { InvalidError, quote } from "@lockbox/server/shared";
import { startRun } from "../../sdk/runner.js";
import { resultJson } from "../output.js";
import { progress } from "../progress.js";

export interface RunOptions {
  env?: string;
  mask: boolean;
  jsonArgs?: boolean;
  local?: boolean;
}

/** `FILE.ts::NAME` → the file and the function's export name. */
function parseTarget(target: string): { file: string; functionName: string | undefined } {
  const at = target.lastIndexOf("::");
  if (at === -1) return { file: target, functionName: undefined };
  const functionName = target.slice(at + 2);
  if (!functionName) throw new InvalidError(`Name a function after '::', as in ${target}someFunction`);
  return { file: target.slice(0, at), functionName };
}

/** The arguments as given (strings), or each parsed as JSON with `--json-args`. */
function parseArgs(args: string[], json: boolean | undefined): unknown[] {
  if (!json) return args;
  return args.map((arg, index) => {
    try {
      return JSON.parse(arg) as unknown;
    } catch {
      // The argument itself is not repeated: it may hold a value.
      throw new InvalidError(
        `Argument ${index + 1} is not JSON: with --json-args every argument must be JSON, as in 42, true, '"text"' or '{"a":1}'`,
      );
    }
  });
}

/**
 * `lockbox run FILE.ts[::FUNCTION] [-- ARGS]`: a function in a container, its result printed as
 * JSON (masked as its output is), or the local entrypoint here.
 */
export async function runTarget(target: string, rest: string[], options: RunOptions): Promise<void> {
  const { file, functionName } = parseTarget(target);
  const args = parseArgs(rest, options.jsonArgs);
  const note = progress();
  note.update(`Bundling ${file}…`);
  // Only --no-mask decides here; without it the SDK's default (LOCKBOX_NO_MASK) applies.
  const mask = options.mask ? undefined : false;
  const entrypoint = functionName === undefined;
  const run = await startRun({
    entryFile: file,
    environment: options.env,
    mask,
    entrypoint,
    local: options.local,
  }).finally(() => note.done());
  try {
    if (functionName === undefined) {
      // As `modal run` does, an entrypoint's return value is not printed: it prints what it wants.
      await run.localEntrypoint?.(...(args as never[]));
      return;
    }
    const handle = run.findFunction(functionName);
    if (!handle)
      throw new InvalidError(`${file} exports no function ${quote(functionName)} made with app.function`);
    note.update(`Running ${functionName} in a container…`);
    const started = handle.remote(...args);
    // The function's own output streams as it happens: clear the note once it has started.
    setTimeout(() => note.done(), 300).unref();
    const result = await started.finally(() => note.done());
    const text = resultJson(result, functionName);
    if (text !== undefined) process.stdout.write(`${await run.hide(text)}\n`);
  } finally {
    await run.stop();
  }
}
