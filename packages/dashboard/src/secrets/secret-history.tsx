import { useCallback, useState } from "react";
import type { SecretMetadata, VersionInfo } from "../api/types.js";
import { canWrite, useApp } from "../app-context.js";
import { formatTime } from "../ui/format.js";
import { AsyncView, ErrorNotice } from "../ui/status.js";
import { useAsync } from "../ui/use-async.js";

function KeyChanges({ label, keys }: { label: string; keys: string[] }) {
  if (keys.length === 0) return null;
  return (
    <p className="changes">
      <span className="changes-label">{label}</span> <span className="mono">{keys.join(", ")}</span>
    </p>
  );
}

function Version(props: { version: VersionInfo; current: number; onRollback: (() => void) | undefined }) {
  const { version } = props;
  return (
    <li className="version">
      <p className="version-title">
        <strong>Version {version.version}</strong>
        {version.version === props.current && <span className="badge">current</span>}
        {version.rollbackOf !== null && <span> rolled back to version {version.rollbackOf}</span>}
      </p>
      <p className="help">
        {formatTime(version.createdAt)} by {version.createdBy}
      </p>
      <KeyChanges label="Added" keys={version.added} />
      <KeyChanges label="Removed" keys={version.removed} />
      <KeyChanges label="Changed" keys={version.changed} />
      {props.onRollback && version.version !== props.current && (
        <button type="button" className="button-small" onClick={props.onRollback}>
          Roll back to version {version.version}
        </button>
      )}
    </li>
  );
}

/** Every version, newest first, with the keys it added, removed or changed; a rollback makes a new version. */
export function SecretHistory(props: { secret: SecretMetadata; onRolledBack(): void }) {
  const { api, session } = useApp();
  const { secret } = props;
  const load = useCallback(
    () => api.history({ environment: secret.environment, name: secret.name }),
    [api, secret],
  );
  const [state] = useAsync(load);
  const [error, setError] = useState("");

  const rollback = async (version: number) => {
    setError("");
    try {
      await api.rollback({ environment: secret.environment, name: secret.name }, version);
      props.onRolledBack();
    } catch (caught) {
      setError((caught as Error).message);
    }
  };

  return (
    <section aria-labelledby="history-title" className="section">
      <h2 id="history-title">History</h2>
      {error && <ErrorNotice error={error} />}
      <AsyncView state={state} what="the history">
        {(versions) => (
          <ol className="versions" reversed>
            {versions.map((version) => (
              <Version
                key={version.version}
                version={version}
                current={secret.version}
                onRollback={canWrite(session) ? () => void rollback(version.version) : undefined}
              />
            ))}
          </ol>
        )}
      </AsyncView>
    </section>
  );
}
