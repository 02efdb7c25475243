import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { FunctionIdentity } from "../../services/identity-signer.js";
import { identityAlgorithm } from "../../services/identity-signer.js";
import { UnavailableError } from "../../shared/errors.js";
import { errorAnswers } from "../error-answers.js";

/** Where the keys are, under the issuer: what the discovery document's `jwks_uri` names. */
const jwksPath = "/.well-known/jwks.json";

const discoveryDocument = z
  .object({
    issuer: z.string().describe("The server's public URL: the `iss` of every function's identity token"),
    jwks_uri: z.string(),
    response_types_supported: z.array(z.string()),
    subject_types_supported: z.array(z.string()),
    id_token_signing_alg_values_supported: z.array(z.string()),
    claims_supported: z.array(z.string()),
  })
  .meta({ id: "OpenIdConfiguration", description: "OpenID Connect discovery of functions' identity tokens" });

const jsonWebKeySet = z
  .object({
    keys: z.array(
      z.object({
        kty: z.string(),
        crv: z.string(),
        x: z.string(),
        y: z.string(),
        kid: z.string(),
        alg: z.string(),
        use: z.string(),
      }),
    ),
  })
  .meta({ id: "JsonWebKeySet", description: "The public keys that verify functions' identity tokens" });

// Anyone may read them (a cloud provider fetches them to trust a function's token): no credential.
const open = { security: [] };
// A URL Fastify cannot route is 400 (app.ts); the store unreachable or the server closing, 503.
const answers = errorAnswers(400, 503);

/**
 * OpenID Connect discovery for functions' identity tokens (`LOCKBOX_IDENTITY_TOKEN`): the
 * document at `/.well-known/openid-configuration` and the keys at `/.well-known/jwks.json`.
 */
export const identityDiscoveryRoutes =
  (identity: FunctionIdentity): FastifyPluginAsyncZod =>
  async (app) => {
    // Known once the server listens (its address, unless a public URL is configured).
    const issuer = () => {
      const url = identity.issuer();
      if (url === undefined) throw new UnavailableError("The server's public URL is not known yet");
      return url;
    };
    app.get(
      "/.well-known/openid-configuration",
      { schema: { ...open, response: { 200: discoveryDocument, ...answers } } },
      async () => ({
        issuer: issuer(),
        jwks_uri: `${issuer()}${jwksPath}`,
        response_types_supported: ["id_token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: [identityAlgorithm],
        claims_supported: ["iss", "sub", "aud", "iat", "nbf", "exp", "jti"],
      }),
    );

    app.get(jwksPath, { schema: { ...open, response: { 200: jsonWebKeySet, ...answers } } }, async () =>
      jsonWebKeySet.parse(await identity.jwks()),
    );
  };
