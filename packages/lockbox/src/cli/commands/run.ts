import { InvalidError, quote } from "@lockbox/server/shared";
import { startRun } from "../../sdk/runner.js";
import { progress } from "../progress.js";

export interface RunOptions {
  env?: string;
  mask: boolean;
}

/** `FILE.ts::NAME` → the file and the function's export name. */
function parseTarget(target: string): { file: string; functionName: string | undefined } {
  const at = target.lastIndexOf("::");
  if (at === -1) return { file: target, functionName: undefined };
  const functionName = target.slice(at + 2);
  if (!functionName) throw new InvalidError(`Name a function after '::', as in ${target}someFunction`);
  return { file: target.slice(0, at), functionName };
}

/** `lockbox run FILE.ts[::FUNCTION] [-- ARGS]`: a function in a container, or the local entrypoint here. */
export async function runTarget(target: string, rest: string[], options: RunOptions): Promise<void> {
  const { file, functionName } = parseTarget(target);
  const args = rest[0] === "--" ? rest.slice(1) : rest;
  const note = progress();
  note.update(`Bundling ${file}…`);
  // Only --no-mask decides here; without it the SDK's default (LOCKBOX_NO_MASK) applies.
  const mask = options.mask ? undefined : false;
  const run = await startRun({ entryFile: file, environment: options.env, mask }).finally(() => note.done());
  try {
    if (functionName === undefined) {
      if (!run.localEntrypoint) {
        throw new InvalidError(
          `${file} has no local entrypoint: mark one with app.localEntrypoint(fn), or run a function: lockbox run ${file}::NAME`,
        );
      }
      await run.localEntrypoint(...(args as never[]));
      return;
    }
    const handle = run.findFunction(functionName);
    if (!handle)
      throw new InvalidError(`${file} exports no function ${quote(functionName)} made with app.function`);
    note.update(`Running ${functionName} in a container…`);
    const started = handle.remote(...args);
    // The function's own output streams as it happens: clear the note once it has started.
    setTimeout(() => note.done(), 300).unref();
    await started.finally(() => note.done());
  } finally {
    await run.stop();
  }
}
