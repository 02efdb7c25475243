import { quote } from "./rules.js";

/** Lifetimes of the Lockbox tokens an identity's exchange makes, in seconds. */
export const identityTtl = { minSeconds: 60, maxSeconds: 3600, defaultSeconds: 900 } as const;

// Claims with options of their own, or that only the verifier checks: not for `--claim`.
const reservedClaims = new Set(["iss", "aud", "sub", "exp", "nbf", "iat", "jti"]);

const loopbackHosts = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/;

/** Why an issuer URL is not allowed (https, or http on a loopback address), or undefined when it is. */
export function issuerProblem(issuer: string): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return `Invalid issuer ${quote(issuer)}: give a URL such as https://token.actions.githubusercontent.com`;
  }
  const loopback = loopbackHosts.test(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback))
    return `Invalid issuer ${quote(issuer)}: it must be an https URL (http only on a loopback address)`;
  if (url.search || url.hash || url.username || url.password)
    return `Invalid issuer ${quote(issuer)}: no query, fragment or credentials allowed`;
  return undefined;
}

/**
 * Why a subject pattern is not allowed, or undefined when it is: exact, or with `*` matching
 * within one `:`-separated segment; `**` and a pattern of wildcards only are refused, since
 * both look as if they matched more than they do, or match anything.
 */
export function subjectPatternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return "The subject pattern cannot be empty";
  if (pattern.length > 1024) return "The subject pattern is too long (at most 1024 characters)";
  if (pattern.includes("**"))
    return `Invalid subject pattern ${quote(pattern)}: '*' matches within one ':'-separated segment; '**' is not allowed`;
  if (!/[^*:]/.test(pattern))
    return `Invalid subject pattern ${quote(pattern)}: it must name at least one character besides '*' and ':'`;
  return undefined;
}

/** Whether `text` matches the glob `segment`, where `*` stands for any text: in linear time, without a regex to backtrack. */
function segmentMatches(segment: string, text: string): boolean {
  const [first = "", ...rest] = segment.split("*");
  if (rest.length === 0) return text === segment;
  const last = rest.pop() ?? "";
  if (!text.startsWith(first) || text.length < first.length + last.length) return false;
  // The middle parts, each at its leftmost place after the one before: if any placement fits, that one does.
  let at = first.length;
  for (const part of rest) {
    const found = text.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return at <= text.length - last.length && text.endsWith(last);
}

/** Whether `subject` matches `pattern`: each `*` stands for any text within one `:`-separated segment. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const segments = pattern.split(":");
  const parts = subject.split(":");
  return (
    segments.length === parts.length &&
    segments.every((segment, i) => segmentMatches(segment, parts[i] ?? ""))
  );
}

/** Why a claim the token must hold is not allowed, or undefined when it is. */
export function claimProblem(name: string, value: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_.:/-]*$/.test(name) || name.length > 128)
    return `Invalid claim name ${quote(name)}: use letters, digits, '_', '.', ':', '/' and '-', at most 128 characters`;
  if (reservedClaims.has(name))
    return `Claim ${quote(name)} cannot be required with a claim: use --issuer, --audience or --subject`;
  if (value.length === 0 || value.length > 1024)
    return `The value of claim ${quote(name)} must be 1 to 1024 characters`;
  return undefined;
}

/** Why a TTL is not allowed, or undefined when it is. */
export function ttlProblem(ttlSeconds: number): string | undefined {
  const { minSeconds, maxSeconds } = identityTtl;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < minSeconds || ttlSeconds > maxSeconds)
    return `The TTL must be a whole number of seconds from ${minSeconds} (1m) to ${maxSeconds} (1h)`;
  return undefined;
}

/** The name of an identity's exchanged tokens, and of the actor they act as. */
export const identityTokenName = (identity: string): string => `identity ${identity}`;
