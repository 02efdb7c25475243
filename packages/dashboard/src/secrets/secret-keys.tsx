import { useEffect, useRef, useState } from "react";
import type { SecretMetadata } from "../api/types.js";
import { canWrite, useApp } from "../app-context.js";
import { CopyButton } from "../ui/copy-button.js";
import { ErrorNotice } from "../ui/status.js";

const mask = "••••••••";

/**
 * The secret's keys. Developers and admins may reveal one value (an audited read of the current
 * version) and copy it; viewers and invokers see key names only.
 */
export function SecretKeys(props: {
  secret: SecretMetadata;
  onEdit: (() => void) | undefined;
  /** Puts the focus on "Edit keys", where it was before an edit ended. */
  focusEdit: boolean;
}) {
  const { api, session } = useApp();
  const { secret } = props;
  const [revealed, setRevealed] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const writer = canWrite(session);
  const editButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (props.focusEdit) editButton.current?.focus();
  }, [props.focusEdit]);
  const ref = { environment: secret.environment, name: secret.name };

  const readValue = async (key: string) => (await api.revealSecret(ref))[key] ?? "";
  const reveal = async (key: string) => {
    setError("");
    try {
      const value = await readValue(key);
      setRevealed((shown) => ({ ...shown, [key]: value }));
    } catch (caught) {
      setError((caught as Error).message);
    }
  };
  const copyText = (key: string) => (key in revealed ? Promise.resolve(revealed[key] ?? "") : readValue(key));
  const hide = (key: string) => setRevealed(({ [key]: _, ...rest }) => rest);

  return (
    <section aria-labelledby="keys-title" className="section">
      <div className="section-heading">
        <h2 id="keys-title">Keys</h2>
        {props.onEdit && (
          <button type="button" ref={editButton} onClick={props.onEdit}>
            Edit keys
          </button>
        )}
      </div>
      {!writer && <p className="help">Your {session.actor.role} role shows key names, not values.</p>}
      {error && <ErrorNotice error={error} />}
      {secret.keys.length === 0 ? (
        <p>This secret has no keys.</p>
      ) : (
        <ul className="keys">
          {secret.keys.map((key) => (
            <li key={key} className="key">
              <span className="key-name mono">{key}</span>
              {writer && (
                <>
                  <span className="key-value mono">
                    {key in revealed ? (
                      revealed[key]
                    ) : (
                      <>
                        <span aria-hidden="true">{mask}</span>
                        <span className="visually-hidden">hidden</span>
                      </>
                    )}
                  </span>
                  <span className="key-actions">
                    {key in revealed ? (
                      <button type="button" className="button-small" onClick={() => hide(key)}>
                        Hide<span className="visually-hidden"> {key}</span>
                      </button>
                    ) : (
                      <button type="button" className="button-small" onClick={() => void reveal(key)}>
                        Reveal<span className="visually-hidden"> {key}</span>
                      </button>
                    )}
                    <CopyButton what={`the value of ${key}`} text={() => copyText(key)} />
                  </span>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
