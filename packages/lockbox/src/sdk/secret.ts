import {
  assertEnvironmentName,
  assertKeys,
  assertSecretName,
  InvalidError,
  quote,
} from "@lockbox/server/shared";
import { clientApi } from "./client.js";
import type { InlineSource, NamedSource, SecretSource } from "./definitions.js";
import { environmentFor } from "./environment.js";
import { attachSecretSource } from "./global-slots.js";
import { checkInlineValues, keyList } from "./inline-values.js";
import { isLocal } from "./is-local.js";
import { dotenvSource } from "./secret-dotenv.js";
import { createSecretObjects } from "./secret-objects.js";

/** Options of `Secret.fromName`. */
export interface SecretFromNameOptions {
  /** Default: the app run's environment (`LOCKBOX_ENVIRONMENT`, the profile, then `main`). */
  environment?: string;
  /** Keys the secret must hold; a missing one fails the run before any container starts. */
  requiredKeys?: string[];
}

/** Options of `Secret.fromDotenv`. */
export interface SecretFromDotenvOptions {
  /** The file name searched for; default `.env`. */
  filename?: string;
}

/** What `secret.info()` tells about a named secret. */
export interface SecretInfo {
  name: string;
  createdAt: Date;
  createdBy: string;
}

const inline = (label: string, values: Record<string, string>): InlineSource => ({
  kind: "inline",
  label,
  load: async () => ({ ...values }),
});

/**
 * A dictionary of environment variables for a function's container: a named secret, or an
 * ephemeral one made in this process and gone when the app run ends.
 * @example app.function({ secrets: [Secret.fromName("secret-keys")] }, async () => process.env.MY_PASSWORD);
 */
export class Secret {
  readonly #source: SecretSource;

  private constructor(source: SecretSource) {
    this.#source = source;
    attachSecretSource(this, source);
  }

  /** The name of a named secret; undefined for an ephemeral one. */
  get name(): string | undefined {
    return this.#source.kind === "named" ? this.#source.name : undefined;
  }

  /**
   * A named secret, looked up when the app runs (not now).
   * @example Secret.fromName("secret-keys", { requiredKeys: ["MY_PASSWORD"] })
   */
  static fromName(name: string, options: SecretFromNameOptions = {}): Secret {
    assertSecretName(name);
    const requiredKeys = [...(options.requiredKeys ?? [])];
    assertKeys(requiredKeys);
    const { environment } = options;
    if (environment !== undefined) assertEnvironmentName(environment);
    return new Secret({ kind: "named", name, environment, requiredKeys });
  }

  /**
   * An ephemeral secret from an object; `null`/`undefined` values are dropped, other non-strings throw `InvalidError`.
   * @example Secret.fromDict({ FOO: process.env.LOCAL_FOO })
   */
  static fromDict(record: Record<string, string | null | undefined>): Secret {
    const values = checkInlineValues(record, "Secret.fromDict");
    return new Secret(inline(`Secret.fromDict(${keyList(Object.keys(record))})`, values));
  }

  /**
   * The same as `Secret.fromDict`.
   * @example Secret.fromObject({ API_URL: "https://example.com" })
   */
  static fromObject(record: Record<string, string | null | undefined>): Secret {
    const values = checkInlineValues(record, "Secret.fromObject");
    return new Secret(inline(`Secret.fromObject(${keyList(Object.keys(record))})`, values));
  }

  /**
   * An ephemeral secret from the first `.env` file found upward from `path` (a file or folder;
   * default: the working directory) when the app runs; none found gives an empty secret.
   * @example Secret.fromDotenv(undefined, { filename: ".env.prod" })
   */
  static fromDotenv(path?: string, options: SecretFromDotenvOptions = {}): Secret {
    return new Secret(dotenvSource(path, options.filename ?? ".env"));
  }

  /**
   * An ephemeral secret copying `keys` from this process's environment; empty in a container.
   * @example Secret.fromLocalEnviron(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
   */
  static fromLocalEnviron(keys: readonly string[]): Secret {
    if (!Array.isArray(keys)) throw new InvalidError("Secret.fromLocalEnviron takes an array of keys");
    assertKeys(keys);
    const values: Record<string, string | undefined> = {};
    if (isLocal()) {
      for (const key of keys) {
        values[key] = process.env[key];
        if (values[key] === undefined) {
          throw new InvalidError(
            `Could not find local environment variable ${quote(key)} for Secret.fromLocalEnviron`,
          );
        }
      }
    }
    return new Secret(
      inline(
        `Secret.fromLocalEnviron(${keyList(keys)})`,
        checkInlineValues(values, "Secret.fromLocalEnviron"),
      ),
    );
  }

  /**
   * Creating, listing and deleting named secrets.
   * @example await Secret.objects.create("secret-keys", { MY_PASSWORD: "…" }, { allowExisting: true });
   */
  static readonly objects = createSecretObjects((name, environment) =>
    Secret.fromName(name, { environment }),
  );

  async #named(method: string): Promise<NamedSource & { environment: string }> {
    const source = this.#source;
    if (source.kind !== "named") {
      throw new InvalidError(
        `secret.${method}() needs a named secret (Secret.fromName), not ${source.label}`,
      );
    }
    return { ...source, environment: await environmentFor(source.environment) };
  }

  /**
   * Merges `record` into the named secret's values, as a new version; keys not mentioned are kept.
   * @example await Secret.fromName("secret-keys").update({ MY_PASSWORD: "…" });
   */
  async update(record: Record<string, string>): Promise<void> {
    const { environment, name } = await this.#named("update");
    const set = checkInlineValues(record, "secret.update");
    await (await clientApi()).secrets.update({ environment, name, set });
  }

  /**
   * The named secret's name, creation time and creator.
   * @example const { createdAt } = await Secret.fromName("secret-keys").info();
   */
  async info(): Promise<SecretInfo> {
    const { environment, name } = await this.#named("info");
    const info = await (await clientApi()).secrets.get({ environment, name });
    return { name: info.name, createdAt: new Date(info.createdAt), createdBy: info.createdBy };
  }

  /** `Secret.fromName('NAME')`, `Secret.fromDict([FOO])`: keys and names, never values. */
  toString(): string {
    const source = this.#source;
    if (source.kind === "inline") return source.label;
    return source.environment === undefined
      ? `Secret.fromName(${quote(source.name)})`
      : `Secret.fromName(${quote(source.name)}, { environment: ${quote(source.environment)} })`;
  }
}
