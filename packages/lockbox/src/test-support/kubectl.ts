import { spawnSync } from "node:child_process";

/** Whether `kubectl` runs here (Debian's `kubernetes-client`); without an API server it can still read manifests. */
export const hasKubectl = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;

/** A Kubernetes object as `kubectl` itself reads a manifest (YAML 1.1 quirks included), as JSON. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  type?: string;
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

/**
 * Parses `manifest` with kubectl, offline. `kubectl create --dry-run=client` needs an API server
 * for discovery; `annotate --local` reads and prints the object without one. The annotation it
 * adds is dropped again.
 */
export function kubectlRead(manifest: string): KubernetesObject {
  const result = spawnSync("kubectl", ["annotate", "--local", "-f", "-", "-o", "json", "parsed-by=kubectl"], {
    input: manifest,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`kubectl could not read the manifest: ${result.stderr}`);
  const object = JSON.parse(result.stdout) as KubernetesObject;
  delete object.metadata.annotations?.["parsed-by"];
  return object;
}
