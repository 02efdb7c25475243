import { spawn } from "node:child_process";
import { pipeline } from "node:stream/promises";
import { OutputMask } from "@lockbox/server/containers";
import { credentialVariables } from "@lockbox/server/settings";
import { InvalidError } from "@lockbox/server/shared";
import { resolveSecrets } from "../../client/resolve-secrets.js";
import { clientConfig, resolveEnvironment } from "../../client/settings.js";
import { readDotenvFile } from "../../dotenv-file.js";
import { mergeLayers } from "../../sdk/secret-layers.js";
import { withApi } from "../with-api.js";

interface ExecOptions {
  secret?: string[];
  fromDotenv?: string;
  env?: string;
  mask: boolean;
}

/** The chosen secrets merged in order (`--secret`s as given, then `--from-dotenv`): later keys win. */
async function mergedSecrets(options: ExecOptions): Promise<Record<string, string>> {
  const names = options.secret ?? [];
  const named =
    names.length === 0
      ? []
      : await withApi((api) =>
          resolveSecrets(api, {
            environment: resolveEnvironment(options.env),
            secrets: names.map((name) => ({ name })),
          }),
        );
  const layers = named.map((secret) => secret.values);
  if (options.fromDotenv) layers.push(readDotenvFile(options.fromDotenv));
  return mergeLayers(layers);
}

// Lockbox's own credentials are for lockbox, not for the command it runs.
function withoutLockboxCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !credentialVariables.includes(key)));
}

// What shells answer for a command that could not be run: 127 not found, 126 not executable.
const notRun: Record<string, { code: number; why: string }> = {
  ENOENT: { code: 127, why: "command not found" },
  EACCES: { code: 126, why: "permission denied" },
};

const signalNumbers: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGTERM: 15,
};

/** `lockbox exec -- COMMAND`: runs a local command with the secrets in its environment, output masked. */
export async function execCommand(command: string[], options: ExecOptions): Promise<void> {
  const [file, ...args] = command;
  if (!file)
    throw new InvalidError(
      "Give the command to run after --, as in: lockbox exec --secret NAME -- node app.js",
    );
  // --no-mask, else LOCKBOX_NO_MASK, as for functions.
  const mask = options.mask && !clientConfig().noMask;
  const secrets = await mergedSecrets(options);
  const child = spawn(file, args, {
    env: { ...withoutLockboxCredentials(process.env), ...secrets },
    stdio: ["inherit", mask ? "pipe" : "inherit", mask ? "pipe" : "inherit"],
  });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once("error", (error: NodeJS.ErrnoException) => {
      const failure = notRun[error.code ?? ""];
      if (!failure) return reject(error);
      process.stderr.write(`lockbox exec: ${failure.why}: ${file}\n`);
      resolve([failure.code, null]);
    });
    child.once("close", (code, signal) => resolve([code, signal]));
  });
  const values = Object.values(secrets);
  const masked = [
    child.stdout && pipeline(child.stdout, new OutputMask(values), process.stdout, { end: false }),
    child.stderr && pipeline(child.stderr, new OutputMask(values), process.stderr, { end: false }),
  ];
  // The command gets the terminal's signals itself; these forward what is sent to lockbox alone.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, forward);
  const [code, signal] = await exited;
  await Promise.all(masked);
  process.exitCode = code ?? 128 + (signal ? (signalNumbers[signal] ?? 1) : 1);
}
