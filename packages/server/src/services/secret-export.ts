import { InvalidError } from "../shared/errors.js";
import type { Values } from "./secret-versions.js";

export const exportFormats = ["dotenv", "json", "k8s"] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** A quoted dotenv value that dotenv parses back to exactly `value`. */
function dotenvValue(value: string): string {
  if (!/['\r\n]/.test(value)) return `'${value}'`;
  if (!value.includes("`")) return `\`${value}\``;
  if (!/["\\]/.test(value)) return `"${value.replace(/\r/g, "\\r").replace(/\n/g, "\\n")}"`;
  throw new InvalidError("A value holds quotes, a backtick and a line break, which a .env file cannot represent");
}

/** Kubernetes object names are DNS subdomains: lower case, digits, '-' and '.'. */
function kubernetesName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  return cleaned || "secret";
}

/** Renders a secret's values as a `.env` file, a JSON object, or a Kubernetes `Secret` manifest. */
export function formatExport(name: string, values: Values, format: ExportFormat): string {
  const keys = Object.keys(values).sort();
  switch (format) {
    case "dotenv":
      return keys.map((key) => `${key}=${dotenvValue(values[key] ?? "")}\n`).join("");
    case "json":
      return `${JSON.stringify(Object.fromEntries(keys.map((key) => [key, values[key]])), null, 2)}\n`;
    case "k8s":
      return [
        "apiVersion: v1",
        "kind: Secret",
        "metadata:",
        `  name: ${kubernetesName(name)}`,
        "type: Opaque",
        keys.length === 0 ? "data: {}" : "data:",
        ...keys.map((key) => `  ${key}: ${Buffer.from(values[key] ?? "").toString("base64")}`),
        "",
      ].join("\n");
  }
}
