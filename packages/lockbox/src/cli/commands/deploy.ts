import { quote } from "@lockbox/server/shared";
import { deployFile } from "../../sdk/runner.js";
import { progress } from "../progress.js";

/** `lockbox deploy FILE.ts`: stores the bundled app, so `RemoteFunction.fromName` can call it. */
export async function deployTarget(file: string, options: { env?: string }): Promise<void> {
  const note = progress();
  note.update(`Bundling and deploying ${file}…`);
  const deployments = await deployFile({ entryFile: file, environment: options.env }).finally(() =>
    note.done(),
  );
  for (const { name, environment, version, functions } of deployments) {
    const names = functions.map((fn) => fn.name);
    process.stdout.write(
      `Deployed app ${quote(name)} version ${version} to environment ${quote(environment)}` +
        ` with the functions ${names.map((fn) => quote(fn)).join(", ")}\n`,
    );
    if (names[0]) {
      process.stdout.write(`\nCall it: await RemoteFunction.fromName("${name}", "${names[0]}").remote()\n`);
    }
  }
}
