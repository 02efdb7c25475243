import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../server/src/test-support/test-server.js";
import { hasKubectl, type KubernetesObject, kubectlRead } from "./test-support/kubectl.js";

const canary = "canary-eso-9d41-secret";
const documentedServer = "https://lockbox.example.com";
const read = (name: string) => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), "utf8");

/** The Kubernetes objects in a document's YAML blocks, as kubectl reads them (snippets without `kind` left out). */
function documentedObjects(markdown: string): KubernetesObject[] {
  return [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .flatMap(([, block = ""]) => block.split(/^---$/m))
    .filter((manifest) => /^kind: /m.test(manifest))
    .map(kubectlRead);
}

// biome-ignore lint/suspicious/noExplicitAny: the manifests' shapes are Kubernetes', read field by field
type Manifest = KubernetesObject & { spec: any };
const byKind = (objects: KubernetesObject[], kind: string) =>
  objects.filter((object) => object.kind === kind) as Manifest[];

/** ESO's templating, as far as the documented `SecretStore` uses it: `{{ .a.b }}` looks a value up. */
function render(template: string, context: Record<string, Record<string, string>>): string {
  return template.replace(/\{\{ \.(\w+)\.(\w+) \}\}/g, (whole, object: string, field: string) => {
    const value = context[object]?.[field];
    if (value === undefined) throw new Error(`the template names ${whole}, which ESO would not fill in`);
    return value;
  });
}

describe.runIf(hasKubectl)("docs/kubernetes.md and docs/workload-identity.md", () => {
  const kubernetes = documentedObjects(read("kubernetes.md"));
  const workloadIdentity = documentedObjects(read("workload-identity.md"));

  it("hold only manifests kubectl reads, each named", () => {
    expect(kubernetes.map((object) => object.kind)).toEqual([
      "ServiceAccount",
      "Secret",
      "Role",
      "RoleBinding",
      "CronJob",
      "SecretStore",
      "ExternalSecret",
    ]);
    expect(workloadIdentity.map((object) => object.kind)).toEqual(["ServiceAccount", "Pod"]);
    for (const object of [...kubernetes, ...workloadIdentity]) expect(object.metadata.name).toMatch(/^[a-z]/);
  });

  it("give the pod a projected token for the audience lockbox, at the path LOCKBOX_OIDC_TOKEN_FILE names", () => {
    const [pod] = byKind(workloadIdentity, "Pod");
    const [container] = pod?.spec.containers ?? [];
    const env = Object.fromEntries(
      container.env.map(({ name, value }: { name: string; value: string }) => [name, value]),
    );
    expect(env).toMatchObject({ LOCKBOX_IDENTITY: expect.any(String), LOCKBOX_SERVER_URL: documentedServer });
    const [mount] = container.volumeMounts;
    const volume = pod?.spec.volumes.find((candidate: { name: string }) => candidate.name === mount.name);
    const [{ serviceAccountToken }] = volume.projected.sources;
    expect(env.LOCKBOX_OIDC_TOKEN_FILE).toBe(`${mount.mountPath}/${serviceAccountToken.path}`);
    // The kubelet refuses a projected token shorter than ten minutes.
    expect(serviceAccountToken).toMatchObject({ audience: "lockbox", expirationSeconds: expect.any(Number) });
    expect(serviceAccountToken.expirationSeconds).toBeGreaterThanOrEqual(600);
  });

  describe("the SecretStore's webhook, sent as ESO sends it", () => {
    let server: TestServer;
    let prodDeveloper: string;
    beforeAll(async () => {
      server = await startTestServer();
      expect((await server.call("POST", "/v1/environments", { body: { name: "prod" } })).status).toBe(201);
      const secret = { name: "payments", values: { API_KEY: canary, DB_URL: `postgres://${canary}` } };
      expect((await server.call("POST", "/v1/environments/prod/secrets", { body: secret })).status).toBe(201);
      // What the refresher's exchange gives: a developer token of `prod` alone.
      const token = await server.call("POST", "/v1/tokens", {
        body: { role: "developer", environment: "prod" },
      });
      prodDeveloper = token.body.value;
    });
    afterAll(() => server.dispose());

    const [store] = byKind(kubernetes, "SecretStore");
    const [external] = byKind(kubernetes, "ExternalSecret");
    const webhook = store?.spec.provider.webhook;

    /** The request ESO makes for one `remoteRef`: the rendered URL and headers, a bearer token and no cookie. */
    async function fetchAsEso(
      remoteRef: Record<string, string>,
    ): Promise<{ status: number; picked?: unknown }> {
      const context = { remoteRef, [webhook.secrets[0].name]: { token: prodDeveloper } };
      const url = render(webhook.url, context).replace(documentedServer, server.url);
      const headers = Object.fromEntries(
        Object.entries(webhook.headers as Record<string, string>).map(([name, value]) => [
          name,
          render(value, context),
        ]),
      );
      const response = await fetch(url, { method: webhook.method, headers });
      if (response.status !== 200) return { status: response.status };
      // `$.a.b`: the only JSONPath the documented store uses.
      const path = render(webhook.result.jsonPath, context).replace(/^\$\./, "").split(".");
      let picked: unknown = await response.json();
      for (const step of path) picked = (picked as Record<string, unknown>)[step];
      return { status: 200, picked };
    }

    it("reads each key the ExternalSecret names with a bearer token, without a CSRF header", async () => {
      expect(store?.spec.provider.webhook.secrets[0].secretRef.name).toBe(
        byKind(kubernetes, "Secret")[0]?.metadata.name,
      );
      const synced = await Promise.all(
        external?.spec.data.map(
          async ({ secretKey, remoteRef }: { secretKey: string; remoteRef: Record<string, string> }) => [
            secretKey,
            (await fetchAsEso(remoteRef)).picked,
          ],
        ),
      );
      expect(Object.fromEntries(synced)).toEqual({ API_KEY: canary, DB_URL: `postgres://${canary}` });
    });

    it("answers 404, which ESO takes for a deleted secret, when the secret does not exist", async () => {
      expect(await fetchAsEso({ key: "gone", property: "API_KEY" })).toEqual({ status: 404 });
    });
  });
});
