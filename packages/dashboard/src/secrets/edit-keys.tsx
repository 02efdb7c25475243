import { ConflictError } from "@lockbox/server/shared";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { flushSync } from "react-dom";
import type { SecretMetadata } from "../api/types.js";
import { useApp } from "../app-context.js";
import { ErrorNotice } from "../ui/status.js";
import { ExistingKeyRows } from "./existing-key-rows.js";
import { KeyValueRows } from "./key-value-rows.js";
import { rowProblems, rowValues, useRows } from "./rows.js";

/** The change to send: typed values of kept keys and the added pairs are set; removed keys unset. */
function change(
  secret: SecretMetadata,
  typed: Record<string, string>,
  removed: Set<string>,
  added: Record<string, string>,
) {
  const kept = Object.entries(typed).filter(([key, value]) => value !== "" && !removed.has(key));
  return { set: { ...Object.fromEntries(kept), ...added }, unset: [...removed], ifVersion: secret.version };
}

/** Edits a secret's keys and saves them as its next version, unless someone else saved first. */
export function EditKeys(props: { secret: SecretMetadata; onDone(saved: boolean): void }) {
  const { api } = useApp();
  const { secret } = props;
  const [typed, setTyped] = useState<Record<string, string>>({});
  const [removed, setRemoved] = useState(new Set<string>());
  const added = useRows([]);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [conflict, setConflict] = useState("");
  const form = useRef<HTMLFormElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const problems = rowProblems(added.rows, secret.keys);
  const ref = { environment: secret.environment, name: secret.name };

  const markRemoved = (key: string, remove: boolean) => {
    const next = new Set(removed);
    if (remove) next.add(key);
    else next.delete(key);
    setRemoved(next);
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    flushSync(() => setSubmitted(true));
    const invalid = form.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (invalid) return invalid.focus();
    const body = change(secret, typed, removed, rowValues(added.rows));
    if (Object.keys(body.set).length + body.unset.length === 0) {
      return setError("Nothing to save: type a new value, add a key or remove one");
    }
    setBusy(true);
    setError("");
    try {
      await api.updateSecret(ref, body);
      props.onDone(true);
    } catch (caught) {
      setBusy(false);
      if (!(caught instanceof ConflictError)) return setError((caught as Error).message);
      const current = await api.getSecret(ref).catch(() => undefined);
      setConflict(
        `Someone else saved version ${current?.version ?? "a newer version"} first: reload to see their changes`,
      );
    }
  };

  return (
    <form ref={form} className="section card form" noValidate onSubmit={(event) => void save(event)}>
      <h2 ref={heading} tabIndex={-1}>
        Edit keys
      </h2>
      <p className="help">Saving makes version {secret.version + 1}. Leave a value empty to keep it.</p>
      <fieldset className="pairs">
        <legend>Keys and values</legend>
        <ExistingKeyRows
          keys={secret.keys}
          values={typed}
          removed={removed}
          onValue={(key, value) => setTyped({ ...typed, [key]: value })}
          onRemoved={markRemoved}
        />
        <KeyValueRows
          rows={added.rows}
          problems={problems}
          showAll={submitted}
          offset={secret.keys.length}
          onChange={added.change}
          onRemove={added.remove}
        />
        <button type="button" onClick={added.add}>
          Add key
        </button>
      </fieldset>
      {error && <ErrorNotice error={error} />}
      {conflict && (
        <div className="notice notice-error" role="alert">
          <p>{conflict}</p>
          <button type="button" onClick={() => props.onDone(true)}>
            Reload
          </button>
        </div>
      )}
      <div className="actions">
        <button type="submit" className="button-primary" disabled={busy || conflict !== ""}>
          {busy ? "Saving…" : "Save"}
        </button>
        <button type="button" onClick={() => props.onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
