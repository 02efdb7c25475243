import { homedir } from "node:os";
import { join } from "node:path";
import { environmentName, flag, httpUrl, oneOf, text } from "./config-formats.js";
import type { Setting } from "./config-settings.js";

/**
 * The settings that every command and the SDK read (most of them only those): where the store
 * is, or the server and how to sign in to it; first in `lockbox --help` and the README's table.
 */
export const clientSettings = {
  dataDir: {
    variable: "LOCKBOX_HOME",
    option: "--data-dir <dir>",
    description: "the data folder: embedded mode's SQLite database and master key file, and the profile file",
    format: text(),
    scopes: ["client", "server", "admin"],
    default: () => join(homedir(), ".lockbox"),
    defaultText: "~/.lockbox",
  },
  serverUrl: {
    variable: "LOCKBOX_SERVER_URL",
    description: "use this Lockbox server instead of the data folder",
    format: httpUrl,
    scopes: ["client"],
  },
  token: {
    variable: "LOCKBOX_TOKEN",
    description: "the token for LOCKBOX_SERVER_URL",
    format: text(),
    scopes: ["client"],
    credential: true,
  },
  identity: {
    variable: "LOCKBOX_IDENTITY",
    description:
      "instead of LOCKBOX_TOKEN: the identity to exchange the platform's token for a short-lived Lockbox token",
    format: text(),
    scopes: ["client"],
  },
  identityWorkspace: {
    variable: "LOCKBOX_IDENTITY_WORKSPACE",
    description: "the workspace of LOCKBOX_IDENTITY",
    format: text(),
    scopes: ["client"],
    defaultText: "default",
    needs: "identity",
  },
  oidcToken: {
    variable: "LOCKBOX_OIDC_TOKEN",
    description: "the platform's token (a JWT) that LOCKBOX_IDENTITY exchanges",
    format: text(),
    scopes: ["client"],
    credential: true,
    needs: "identity",
  },
  oidcTokenFile: {
    variable: "LOCKBOX_OIDC_TOKEN_FILE",
    description: "a file holding it, read again at each exchange (a Kubernetes projected token)",
    format: text(),
    scopes: ["client"],
    needs: "identity",
  },
  environment: {
    variable: "LOCKBOX_ENVIRONMENT",
    description: "the environment when -e is not given (then the profile file, then main)",
    format: environmentName,
    scopes: ["client"],
  },
  masterKey: {
    variable: "LOCKBOX_MASTER_KEY",
    description:
      "the master key, base64 of 32 bytes (NEW,OLD during a rotation), instead of the data folder's master.key",
    format: text(),
    scopes: ["client", "server", "admin"],
    credential: true,
  },
  container: {
    variable: "LOCKBOX_CONTAINER",
    description: "how functions run: sandbox, or process (plain child processes)",
    format: oneOf(["sandbox", "process"]),
    scopes: ["client", "server"],
    defaultText: "sandbox where bubblewrap works",
  },
  noMask: {
    variable: "LOCKBOX_NO_MASK",
    description: "1: show secret values in the output of functions and of exec, as --no-mask does",
    format: flag,
    scopes: ["client"],
    default: "0",
  },
} as const satisfies Record<string, Setting<unknown>>;
