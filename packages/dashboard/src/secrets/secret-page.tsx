import { useCallback, useMemo, useState } from "react";
import type { SecretMetadata } from "../api/types.js";
import { canWrite, useApp } from "../app-context.js";
import { formatTime } from "../ui/format.js";
import { PageHeading } from "../ui/page-heading.js";
import { AsyncView } from "../ui/status.js";
import { useAsync } from "../ui/use-async.js";
import { DeleteSecret } from "./delete-secret.js";
import { EditKeys } from "./edit-keys.js";
import { SecretHistory } from "./secret-history.js";
import { SecretKeys } from "./secret-keys.js";
import { UsageSnippet } from "./usage-snippet.js";

function Details({ secret }: { secret: SecretMetadata }) {
  return (
    <dl className="details">
      <dt>Environment</dt>
      <dd>{secret.environment}</dd>
      <dt>Version</dt>
      <dd>{secret.version}</dd>
      <dt>Created</dt>
      <dd>
        {formatTime(secret.createdAt)} by {secret.createdBy}
      </dd>
      <dt>Updated</dt>
      <dd>{formatTime(secret.updatedAt)}</dd>
      <dt>Last used</dt>
      <dd>{formatTime(secret.lastUsedAt)}</dd>
    </dl>
  );
}

/** One secret: its keys (values masked until revealed), editing, usage, history and deletion. */
export function SecretPage({ name }: { name: string }) {
  const { api, session, environment } = useApp();
  const ref = useMemo(() => ({ environment, name }), [environment, name]);
  const load = useCallback(() => api.getSecret(ref), [api, ref]);
  const [state, reload] = useAsync(load);
  // "idle" until a first edit; "done" after one, to give the focus back to "Edit keys".
  const [editing, setEditing] = useState<"idle" | "editing" | "done">("idle");
  const writer = canWrite(session);

  return (
    <>
      <PageHeading title={name} />
      <AsyncView state={state} what="the secret">
        {(secret) => (
          <>
            <Details secret={secret} />
            {editing === "editing" ? (
              <EditKeys
                secret={secret}
                onDone={(saved) => {
                  setEditing("done");
                  if (saved) reload();
                }}
              />
            ) : (
              <SecretKeys
                key={secret.version}
                secret={secret}
                onEdit={writer ? () => setEditing("editing") : undefined}
                focusEdit={editing === "done"}
              />
            )}
            <UsageSnippet secret={secret} />
            <SecretHistory
              secret={secret}
              onRolledBack={() => {
                setEditing("idle");
                reload();
              }}
            />
            {writer && <DeleteSecret secret={secret} />}
          </>
        )}
      </AsyncView>
    </>
  );
}
