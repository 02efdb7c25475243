import { type FormEvent, useState } from "react";
import type { SecretMetadata } from "../api/types.js";
import { useApp } from "../app-context.js";
import { navigate, withEnvironment } from "../router.js";
import { ErrorNotice } from "../ui/status.js";

/** Deletes the secret once its name is typed, so that a stray click cannot. */
export function DeleteSecret({ secret }: { secret: SecretMetadata }) {
  const { api } = useApp();
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  const remove = async (event: FormEvent) => {
    event.preventDefault();
    if (typed !== secret.name) return;
    setBusy(true);
    try {
      await api.deleteSecret({ environment: secret.environment, name: secret.name });
      navigate(withEnvironment("/", secret.environment), { replace: true });
    } catch (caught) {
      setError((caught as Error).message);
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="delete-title" className="section danger">
      <h2 id="delete-title">Delete this secret</h2>
      <p>Functions that name it will fail to start. Its history is deleted with it; this cannot be undone.</p>
      <form className="inline-form" onSubmit={(event) => void remove(event)}>
        <div className="field">
          <label htmlFor="confirm-delete">
            Type <span className="mono">{secret.name}</span> to confirm
          </label>
          <input
            id="confirm-delete"
            className="mono"
            value={typed}
            autoComplete="off"
            spellCheck={false}
            onChange={(event) => setTyped(event.target.value)}
          />
        </div>
        <button type="submit" className="button-danger" disabled={busy || typed !== secret.name}>
          {busy ? "Deleting…" : "Delete secret"}
        </button>
      </form>
      {error && <ErrorNotice error={error} />}
    </section>
  );
}
