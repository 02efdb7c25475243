import { InvalidError } from "./errors.js";

/** Names and limits of DESIGN.md §5: the one place they are written down. */
export const limits = {
  nameMaxLength: 64,
  keyMaxLength: 16_384,
  valueMaxLength: 32_768,
  /** Keys one secret holds at most: far more than any environment needs, few enough to stay fast. */
  keysMaxCount: 1000,
  bundleMaxBytes: 32 * 1024 * 1024,
  tokenMaxLifetimeSeconds: 10 * 365 * 24 * 60 * 60,
  // The kernel's MAX_ARG_STRLEN: one `KEY=VALUE` string, with its NUL, at exec.
  execStringMaxBytes: 131_072,
  // A conservative share of ARG_MAX (2 MiB with an 8 MiB stack), leaving room for argv.
  execEnvironmentMaxBytes: 1_048_576,
  // The largest delay a Node timer takes; a longer one would fire at once.
  timeoutMaxMs: 2_147_483_647,
  /** A function's `timeoutMs` when it gives none. */
  timeoutDefaultMs: 300_000,
  /** A container's private /tmp (and HOME), in MiB: memory of the host, so bounded. */
  tmpMbDefault: 64,
  tmpMbMax: 4096,
  /** A function's `files`: files and folders it takes at most, and their bytes together (a deploy carries them in one body). */
  filesMaxCount: 1000,
  filesMaxBytes: 32 * 1024 * 1024,
  /** Ephemeral runs a workspace has live on one server at most: each holds its code (up to both limits above) until it ends. */
  liveRunsMax: 32,
  /** Secrets one resolve names at most, each once: a request's work and its audit entries stay bounded. */
  resolveMaxSecrets: 100,
  /** Items of a list page (secrets, versions, apps, environments, workspaces, tokens, audit entries) when a request names no `limit`… */
  pageSizeDefault: 100,
  /** …and at most. */
  pageSizeMax: 1000,
} as const;

/** The size of a list page: the `limit` asked for, or the default, and never over the largest. */
export const pageSize = (limit?: number): number =>
  Math.min(limit ?? limits.pageSizeDefault, limits.pageSizeMax);

/** What a function's container reaches: `outbound` (the default) or only its own loopback. */
export const networkModes = ["outbound", "none"] as const;
export type NetworkMode = (typeof networkModes)[number];
export const networkDefault: NetworkMode = "outbound";

/** The environment every workspace has, and the default when none is chosen. */
export const defaultEnvironment = "main";

/**
 * Token roles, weakest first: a viewer sees names and keys, never values; an invoker also calls
 * deployed functions (the server reads their secrets for it) and never receives a value either.
 */
export const roles = ["viewer", "invoker", "developer", "admin"] as const;
export type Role = (typeof roles)[number];

/**
 * What a resolve's values are for, which its audit entries say: `exec` (a command, audited as
 * `secret.resolve`) or `container` (a container the caller starts itself: `container.start`).
 */
export const resolveUses = ["exec", "container"] as const;
export type ResolveUse = (typeof resolveUses)[number];

/** Formats of `secret export`. */
export const exportFormats = ["dotenv", "json", "k8s"] as const;
export type ExportFormat = (typeof exportFormats)[number];

const secretNamePattern = /^[a-zA-Z0-9._-]+$/;
const environmentNamePattern = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;
const keyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** What a key may be, as messages say it. */
export const keyRule = "keys contain only letters, digits and '_', and do not start with a digit";

/** Whether `key` has the form of a key (letters, digits and '_', not starting with a digit). */
export const isKeyForm = (key: string): boolean => keyPattern.test(key);

/** A name or key quoted for a message: shortened, with control characters escaped. */
export function quote(text: string, maxLength = 80): string {
  const shown = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  return `'${JSON.stringify(shown).slice(1, -1)}'`;
}

function nameProblem(kind: string, name: unknown, pattern: RegExp, allowed: string): string | undefined {
  if (typeof name !== "string") return `${kind} name must be a string`;
  if (name.length === 0) return `${kind} name cannot be empty`;
  if (name.length > limits.nameMaxLength || !pattern.test(name)) {
    return `Invalid ${kind.toLowerCase()} name ${quote(name)}: ${allowed}, at most ${limits.nameMaxLength} characters`;
  }
  return undefined;
}

/** Why a secret name is not allowed, or undefined when it is. */
export function secretNameProblem(name: unknown): string | undefined {
  return nameProblem("Secret", name, secretNamePattern, "use letters, digits, '.', '-' and '_'");
}

const kubernetesNamePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const kubernetesNameMaxLength = 253;

/** Why `name` cannot name a Kubernetes object (a DNS-1123 subdomain), or undefined when it can. */
export function kubernetesNameProblem(name: string): string | undefined {
  if (name.length <= kubernetesNameMaxLength && kubernetesNamePattern.test(name)) return undefined;
  return `Invalid Kubernetes name ${quote(name)}: use lower-case letters, digits, '-' and '.', each '.'-separated part starting and ending with a letter or digit, at most ${kubernetesNameMaxLength} characters`;
}

/** Why an environment name is not allowed, or undefined when it is. */
export function environmentNameProblem(name: unknown): string | undefined {
  return nameProblem(
    "Environment",
    name,
    environmentNamePattern,
    "use letters, digits, '.', '-' and '_', starting with a letter or digit",
  );
}

/** Why an app name is not allowed, or undefined when it is; apps are named like secrets. */
export function appNameProblem(name: unknown): string | undefined {
  return nameProblem("App", name, secretNamePattern, "use letters, digits, '.', '-' and '_'");
}

/** Why an identity name is not allowed, or undefined when it is; identities are named like secrets. */
export function identityNameProblem(name: unknown): string | undefined {
  return nameProblem("Identity", name, secretNamePattern, "use letters, digits, '.', '-' and '_'");
}

/** Why a workspace name is not allowed, or undefined when it is. */
export function workspaceNameProblem(name: unknown): string | undefined {
  return nameProblem(
    "Workspace",
    name,
    environmentNamePattern,
    "use letters, digits, '.', '-' and '_', starting with a letter or digit",
  );
}

/** Why a key is not allowed, or undefined when it is. */
export function keyProblem(key: string): string | undefined {
  if (key.length === 0) return "Key cannot be empty";
  if (key.length > limits.keyMaxLength) {
    return `Key ${quote(key)} is too long (${key.length} characters; at most ${limits.keyMaxLength})`;
  }
  if (!keyPattern.test(key)) {
    return `Invalid key ${quote(key)}: ${keyRule}`;
  }
  return undefined;
}

/** Why a value is not allowed, or undefined when it is. Never mentions the value itself. */
export function valueProblem(key: string, value: unknown): string | undefined {
  if (typeof value !== "string") return `Non-string value for secret ${quote(key)}`;
  if (value.length > limits.valueMaxLength) {
    return `Value of ${quote(key)} is too long (${value.length} characters; at most ${limits.valueMaxLength})`;
  }
  if (value.includes("\0")) return `Value of ${quote(key)} contains a NUL character, which is not allowed`;
  return undefined;
}

/** Why a function's `timeoutMs` is not allowed, or undefined when it is: whole milliseconds a timer can wait. */
export function timeoutProblem(timeoutMs: unknown): string | undefined {
  if (
    typeof timeoutMs !== "number" ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs > limits.timeoutMaxMs
  )
    return `\`timeoutMs\` must be a whole number of milliseconds from 1 to ${limits.timeoutMaxMs}`;
  return undefined;
}

/** Why a function's `network` is not allowed, or undefined when it is. */
export function networkProblem(network: unknown): string | undefined {
  if (networkModes.includes(network as NetworkMode)) return undefined;
  return "`network` must be 'outbound' or 'none'";
}

/** Why a function's `tmpMb` is not allowed, or undefined when it is: whole MiB from 1 to the limit. */
export function tmpMbProblem(tmpMb: unknown): string | undefined {
  if (typeof tmpMb === "number" && Number.isInteger(tmpMb) && tmpMb >= 1 && tmpMb <= limits.tmpMbMax)
    return undefined;
  return `\`tmpMb\` must be a whole number of MiB from 1 to ${limits.tmpMbMax}`;
}

/** Why a set of key/value pairs is not allowed, or undefined when every pair is. */
export function valuesProblem(values: Record<string, unknown>): string | undefined {
  const problem = keyCountProblem(Object.keys(values).length);
  if (problem) return problem;
  for (const [key, value] of Object.entries(values)) {
    const problem = keyProblem(key) ?? valueProblem(key, value);
    if (problem) return problem;
  }
  return undefined;
}

/** Why a secret cannot hold `count` keys, or undefined when it can. */
function keyCountProblem(count: number): string | undefined {
  return count > limits.keysMaxCount
    ? `A secret holds at most ${limits.keysMaxCount} keys; this one would hold ${count}`
    : undefined;
}

/** Why a resolve cannot name `names` (too many, or one twice), or undefined when it can. */
export function resolveNamesProblem(names: readonly string[]): string | undefined {
  if (names.length > limits.resolveMaxSecrets)
    return `A resolve names at most ${limits.resolveMaxSecrets} secrets; this one names ${names.length}`;
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return `Secret ${quote(name)} is named twice in one resolve: name each secret once`;
    seen.add(name);
  }
  return undefined;
}

function check(problem: string | undefined): void {
  if (problem) throw new InvalidError(problem);
}

/** Throws `InvalidError` when a secret would hold more keys than it may. */
export function assertKeyCount(count: number): void {
  check(keyCountProblem(count));
}

/** Throws `InvalidError` unless `name` is a valid secret name. */
export function assertSecretName(name: unknown): asserts name is string {
  check(secretNameProblem(name));
}

/** Throws `InvalidError` unless `name` is a valid environment name. */
export function assertEnvironmentName(name: unknown): asserts name is string {
  check(environmentNameProblem(name));
}

/** Throws `InvalidError` unless `name` is a valid app name. */
export function assertAppName(name: unknown): asserts name is string {
  check(appNameProblem(name));
}

/** Throws `InvalidError` unless `name` is a valid workspace name. */
export function assertWorkspaceName(name: unknown): asserts name is string {
  check(workspaceNameProblem(name));
}

/** Throws `InvalidError` unless every key and value is valid. */
export function assertValues(values: Record<string, unknown>): asserts values is Record<string, string> {
  check(valuesProblem(values));
}

/** Throws `InvalidError` unless a resolve may name `names`: at most the limit, each once. */
export function assertResolveNames(names: readonly string[]): void {
  check(resolveNamesProblem(names));
}

/** Throws `InvalidError` unless every key is valid. */
export function assertKeys(keys: readonly string[]): void {
  for (const key of keys) check(keyProblem(key));
}

const utf8 = new TextEncoder();

function bytesText(bytes: number): string {
  return bytes.toLocaleString("en-US");
}

function fromSources(sources: readonly string[]): string {
  if (sources.length === 0) return "it comes from the function's own environment";
  return `it comes from secrets ${sources.map((source) => quote(source)).join(", ")}`;
}

/** Why a container's merged environment cannot be passed to exec, or undefined when it can; never shows a value. */
export function execEnvironmentProblem(
  env: Record<string, string>,
  sources: readonly string[],
): string | undefined {
  let total = 8; // the NULL that ends the pointer array
  for (const [key, value] of Object.entries(env)) {
    const bytes = utf8.encode(`${key}=${value}`).byteLength + 1;
    if (bytes > limits.execStringMaxBytes) {
      return `Variable ${quote(key)} is too large to start a container (${bytesText(bytes)} bytes; at most ${bytesText(limits.execStringMaxBytes)}): ${fromSources(sources)}`;
    }
    total += bytes + 8;
  }
  if (total > limits.execEnvironmentMaxBytes) {
    return `The merged environment is too large to start a container (${bytesText(total)} bytes; at most ${bytesText(limits.execEnvironmentMaxBytes)}): ${fromSources(sources)}`;
  }
  return undefined;
}

/** Throws `InvalidError` unless the environment fits what the kernel accepts at exec. */
export function assertExecEnvironment(env: Record<string, string>, sources: readonly string[]): void {
  check(execEnvironmentProblem(env, sources));
}

/** A function's layers merged in order (app secrets, its own, then `env`): for each key the last one wins. */
export function mergeLayers(layers: readonly Record<string, string>[]): Record<string, string> {
  // Entries, not assignment: a key named `__proto__` stays a key.
  return Object.fromEntries(layers.flatMap((layer) => Object.entries(layer))) as Record<string, string>;
}

const secondsPer = { s: 1, m: 60, h: 60 * 60, d: 24 * 60 * 60 } as const;

/** The seconds a duration (`90s`, `30m`, `12h`, `7d`: a whole number and a unit) stands for; undefined for other text. */
export function durationSeconds(text: string): number | undefined {
  const match = /^(\d+)([smhd])$/.exec(text);
  return match ? Number(match[1]) * secondsPer[match[2] as keyof typeof secondsPer] : undefined;
}
