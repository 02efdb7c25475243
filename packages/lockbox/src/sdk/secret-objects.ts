import { assertSecretName, readAllPages } from "@lockbox/server/shared";
import { clientApi } from "./client.js";
import { environmentFor } from "./environment.js";
import { checkInlineValues } from "./inline-values.js";

/** Options of `Secret.objects.create`. */
export interface SecretCreateOptions {
  environment?: string;
  /** When the name is taken, keep the existing secret unchanged instead of failing. */
  allowExisting?: boolean;
}

/** Options of `Secret.objects.list`. */
export interface SecretListOptions {
  environment?: string;
}

/** Options of `Secret.objects.delete`. */
export interface SecretDeleteOptions {
  environment?: string;
  /** A missing secret is not an error. */
  allowMissing?: boolean;
}

/** `Secret.objects`: managing named secrets; `named` makes the handle for a listed name. */
export function createSecretObjects<S>(named: (name: string, environment: string) => S) {
  return {
    /** Creates a named secret; a taken name is an `AlreadyExistsError` unless `allowExisting`. */
    async create(
      name: string,
      record: Record<string, string>,
      options: SecretCreateOptions = {},
    ): Promise<void> {
      assertSecretName(name);
      const values = checkInlineValues(record, "Secret.objects.create");
      const environment = await environmentFor(options.environment);
      const api = await clientApi();
      await api.secrets.create({
        environment,
        name,
        values,
        ifExists: options.allowExisting ? "keep" : "fail",
      });
    },

    /** Every named secret of the environment, newest first. */
    async list(options: SecretListOptions = {}): Promise<S[]> {
      const environment = await environmentFor(options.environment);
      const api = await clientApi();
      const infos = await readAllPages(
        (limit, createdBefore: string | undefined) => api.secrets.list({ environment, limit, createdBefore }),
        (last) => last.createdAt,
      );
      return infos.map((info) => named(info.name, environment));
    },

    /** Deletes a named secret and all its versions; a missing one is a `NotFoundError` unless `allowMissing`. */
    async delete(name: string, options: SecretDeleteOptions = {}): Promise<void> {
      assertSecretName(name);
      const environment = await environmentFor(options.environment);
      const api = await clientApi();
      await api.secrets.delete({ environment, name, allowMissing: options.allowMissing });
    },
  };
}
