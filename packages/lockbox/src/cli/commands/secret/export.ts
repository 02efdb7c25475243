import { type ExportFormat, exportFormats, InvalidError, quote } from "@lockbox/server/shared";
import { resolveEnvironment } from "../../../client/settings.js";
import { withApi } from "../../with-api.js";

interface ExportSecretOptions {
  env?: string;
  format: string;
  name?: string;
}

function parseFormat(format: string): ExportFormat {
  if (!(exportFormats as readonly string[]).includes(format)) {
    throw new InvalidError(`Invalid format ${quote(format)}: use one of ${exportFormats.join(", ")}`);
  }
  return format as ExportFormat;
}

/** `lockbox secret export NAME`: the values as a .env file, JSON, or a Kubernetes manifest, on stdout. */
export async function exportSecret(name: string, options: ExportSecretOptions): Promise<void> {
  const environment = resolveEnvironment(options.env);
  const format = parseFormat(options.format);
  const kubernetesName = options.name;
  const text = await withApi((api) => api.secrets.export({ environment, name, format, kubernetesName }));
  process.stdout.write(text);
}
