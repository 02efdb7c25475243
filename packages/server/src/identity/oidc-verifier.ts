import { decodeJwt, errors, type JWTPayload, jwtVerify } from "jose";
import { subjectMatches } from "../shared/identity-rules.js";
import { DiscoveryError, type IssuerKeys } from "./issuer-keys.js";

/** What a platform token must be to pass as the identity. */
export interface IdentityTerms {
  issuer: string;
  audience: string;
  subject: string;
  claims: Record<string, string>;
}

/** Why a token was refused: the check that failed, for the admin's audit log (never the caller). */
export type FailedCheck =
  | "malformed"
  | "alg"
  | "discovery"
  | "kid"
  | "signature"
  | "exp"
  | "nbf"
  | "iat"
  | "iss"
  | "aud"
  | "sub"
  | `claim ${string}`;

export type Verification =
  | { ok: true; claims: JWTPayload & { sub: string } }
  | {
      ok: false;
      check: FailedCheck;
      /** The token's `sub` as it claims, unverified, for the audit log. */
      sub?: string | undefined;
    };

// Asymmetric only: a key set's public key can never act as an HMAC secret.
const algorithms = ["RS256", "ES256", "EdDSA"];
const clockToleranceSeconds = 30;
const timeClaims = new Set(["exp", "nbf", "iat", "iss", "aud"]);

/** The check a jose error stands for. */
function checkOf(error: unknown): FailedCheck {
  if (error instanceof errors.JWTExpired) return "exp";
  if (error instanceof errors.JWTClaimValidationFailed && timeClaims.has(error.claim))
    return error.claim as FailedCheck;
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return "alg";
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return "kid";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "signature";
  if (error instanceof errors.JOSEError && error.code.startsWith("ERR_JWKS")) return "discovery";
  return "malformed";
}

/** The token's claims, unverified: only ever used to refuse early or to name `sub` in a refusal. */
function unverifiedClaims(token: string): JWTPayload | undefined {
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}

/** The first of the identity's own checks (subject, claims) that the verified claims fail. */
function termsProblem(claims: JWTPayload, terms: IdentityTerms): FailedCheck | undefined {
  if (typeof claims.sub !== "string" || !subjectMatches(terms.subject, claims.sub)) return "sub";
  const now = Date.now() / 1000;
  // jose checks `iat` only with a maximum age; a token issued in the future is refused here.
  if (claims.iat !== undefined && claims.iat > now + clockToleranceSeconds) return "iat";
  for (const [name, value] of Object.entries(terms.claims))
    if (claims[name] !== value) return `claim ${name}`;
  return undefined;
}

/**
 * Verifies platform tokens against an identity's terms with jose: signature by a key of the
 * issuer's JWKS with an allowed asymmetric algorithm, `exp` required, `nbf`, `iat`, `iss` and `aud`,
 * then `sub` against the pattern and every claim.
 */
export function createOidcVerifier(deps: { keys: IssuerKeys }) {
  return {
    async verify(token: string, terms: IdentityTerms): Promise<Verification> {
      const unverified = unverifiedClaims(token);
      const sub = typeof unverified?.sub === "string" ? unverified.sub : undefined;
      if (!unverified) return { ok: false, check: "malformed" };
      // Another issuer's token is refused before anything is fetched on its behalf.
      if (unverified.iss !== terms.issuer) return { ok: false, check: "iss", sub };
      let claims: JWTPayload;
      try {
        const keys = await deps.keys.keysOf(terms.issuer);
        ({ payload: claims } = await jwtVerify(token, keys, {
          algorithms,
          issuer: terms.issuer,
          audience: terms.audience,
          clockTolerance: clockToleranceSeconds,
          requiredClaims: ["exp"],
        }));
      } catch (error) {
        const check = error instanceof DiscoveryError ? "discovery" : checkOf(error);
        return { ok: false, check, sub };
      }
      const problem = termsProblem(claims, terms);
      if (problem) return { ok: false, check: problem, sub };
      return { ok: true, claims: claims as JWTPayload & { sub: string } };
    },
  };
}

export type OidcVerifier = ReturnType<typeof createOidcVerifier>;
