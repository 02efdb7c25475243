import type { LockboxApi, ResolvedSecret, ResolveInput } from "@lockbox/server";
import { limits } from "@lockbox/server/shared";

type Wanted = ResolveInput["secrets"][number];

const readKey = (wanted: Wanted) => `${wanted.name}@${wanted.version ?? "current"}`;

/**
 * Resolves `input.secrets` in requests the server accepts (each names a secret once, and at
 * most `limits.resolveMaxSecrets`), answering one secret per one wanted, in order: a secret
 * named twice (an app's and a function's) is read once and its values stand at both places,
 * so merging the answers in order still lets the later one win.
 */
export async function resolveSecrets(
  api: Pick<LockboxApi, "secrets">,
  input: ResolveInput,
): Promise<ResolvedSecret[]> {
  const reads = new Map<string, Wanted>();
  for (const wanted of input.secrets) {
    const read = reads.get(readKey(wanted));
    const requiredKeys = [...new Set([...(read?.requiredKeys ?? []), ...(wanted.requiredKeys ?? [])])];
    reads.set(readKey(wanted), {
      ...wanted,
      requiredKeys: requiredKeys.length > 0 ? requiredKeys : undefined,
    });
  }
  // One name at two pinned versions goes into two requests.
  const batches: Wanted[][] = [];
  for (const read of reads.values()) {
    const batch = batches.find(
      (candidate) =>
        candidate.length < limits.resolveMaxSecrets && !candidate.some((other) => other.name === read.name),
    );
    if (batch) batch.push(read);
    else batches.push([read]);
  }
  const answers = new Map<string, ResolvedSecret>();
  for (const batch of batches) {
    const resolved = await api.secrets.resolve({ ...input, secrets: batch });
    batch.forEach((read, position) => {
      const answer = resolved[position];
      if (answer) answers.set(readKey(read), answer);
    });
  }
  return input.secrets.flatMap((wanted) => answers.get(readKey(wanted)) ?? []);
}
