import { createHash } from "node:crypto";
import { InvalidError } from "../shared/errors.js";
import type { ExportFormat } from "../shared/rules.js";
import { kubernetesNameProblem, quote } from "../shared/rules.js";
import type { Values } from "./secret-versions.js";

/** A quoted dotenv value that dotenv parses back to exactly `value`. */
function dotenvValue(key: string, value: string): string {
  // In single quotes and backticks dotenv reads a backslash before the closing quote as an escape.
  const endsInBackslash = value.endsWith("\\");
  if (!/['\r\n]/.test(value) && !endsInBackslash) return `'${value}'`;
  // dotenv turns every raw "\r" into "\n" before parsing, so a carriage return must be escaped.
  if (!/[`\r]/.test(value) && !endsInBackslash) return `\`${value}\``;
  // Double quotes expand ${VAR} on the way back in: only for a value without one.
  if (!/["\\]|\$\{/.test(value)) return `"${value.replace(/\r/g, "\\r").replace(/\n/g, "\\n")}"`;
  throw new InvalidError(
    `The value of ${quote(key)} mixes quotes, backticks, backslashes and line breaks in a way a .env file cannot represent; export it as json`,
  );
}

/** Kubernetes object names are DNS subdomains: dot-separated labels of lower case, digits and inner '-'. */
function derivedKubernetesName(name: string): string {
  const labels = name
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, "-")
    .split(".")
    .map((label) => label.replace(/^-+|-+$/g, ""))
    .filter((label) => label.length > 0);
  return labels.join(".") || "secret";
}

// YAML 1.1, which Kubernetes reads, takes these bare words for booleans or null, not for keys.
const yamlReservedWord = /^(y|yes|n|no|true|false|on|off|null)$/i;
const yamlKey = (key: string) => (yamlReservedWord.test(key) ? JSON.stringify(key) : key);

/** One version of a secret, opened, as an export renders it. */
export interface ExportedVersion {
  name: string;
  version: number;
  /** The version's sealed values: what the checksum hashes, so that it says nothing about the values. */
  sealed: Buffer;
  values: Values;
  /** `metadata.name` of a `k8s` export, instead of one derived from `name`. */
  kubernetesName?: string | undefined;
}

/** Throws `InvalidError` for a `kubernetesName` that is not one, or that comes with a format other than `k8s`. */
export function assertExportOptions(format: ExportFormat, kubernetesName: string | undefined): void {
  if (kubernetesName === undefined) return;
  if (format !== "k8s")
    throw new InvalidError(`A Kubernetes name is only for the format k8s, not ${quote(format)}`);
  const problem = kubernetesNameProblem(kubernetesName);
  if (problem) throw new InvalidError(problem);
}

const sortedKeys = (values: Values) => Object.keys(values).sort();

function dotenvFile({ values }: ExportedVersion): string {
  return sortedKeys(values)
    .map((key) => `${key}=${dotenvValue(key, values[key] ?? "")}\n`)
    .join("");
}

function jsonObject({ values }: ExportedVersion): string {
  const ordered = Object.fromEntries(sortedKeys(values).map((key) => [key, values[key]]));
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/**
 * A Kubernetes `Secret`. Its annotations change with every new version, so a pod template that
 * copies them rolls out on a change; a hash of the plain values would let whoever reads the
 * Deployment guess a short value, so the checksum hashes the sealed (randomly encrypted) version.
 */
function kubernetesSecret({ name, version, sealed, values, kubernetesName }: ExportedVersion): string {
  const keys = sortedKeys(values);
  const checksum = createHash("sha256").update(sealed).digest("hex");
  return [
    "apiVersion: v1",
    "kind: Secret",
    "metadata:",
    `  name: ${kubernetesName ?? derivedKubernetesName(name)}`,
    "  annotations:",
    `    lockbox.dev/version: "${version}"`,
    `    lockbox.dev/checksum: "sha256:${checksum}"`,
    "type: Opaque",
    keys.length === 0 ? "data: {}" : "data:",
    ...keys.map((key) => `  ${yamlKey(key)}: ${Buffer.from(values[key] ?? "").toString("base64")}`),
    "",
  ].join("\n");
}

const formatters: Record<ExportFormat, (exported: ExportedVersion) => string> = {
  dotenv: dotenvFile,
  json: jsonObject,
  k8s: kubernetesSecret,
};

/** Renders a secret's values as a `.env` file, a JSON object, or a Kubernetes `Secret` manifest. */
export function formatExport(exported: ExportedVersion, format: ExportFormat): string {
  return formatters[format](exported);
}
