import { type FormEvent, useState } from "react";
import type { DashboardApi } from "../api/dashboard-api.js";
import type { Session } from "../api/types.js";
import { ErrorNotice } from "../ui/status.js";

interface SignInPageProps {
  api: DashboardApi;
  notice: string;
  onSignedIn(session: Session): void;
}

/**
 * Trades a token for a session cookie. The token lives only in this form's state: it is posted
 * once, never put in the address bar or in browser storage.
 */
export function SignInPage({ api, notice, onSignedIn }: SignInPageProps) {
  const [token, setToken] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      const session = await api.signIn(token.trim());
      setToken("");
      onSignedIn(session);
    } catch (caught) {
      setError((caught as Error).message);
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form className="card" method="post" onSubmit={(event) => void submit(event)}>
        <h1>Sign in to Lockbox</h1>
        {notice && <p className="notice">{notice}</p>}
        <label htmlFor="token">Token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-describedby="token-help"
          aria-invalid={error ? true : undefined}
        />
        <p id="token-help" className="help">
          Use a token from <code>lockbox token create</code>. It starts a session and is not kept in this
          browser.
        </p>
        {error && <ErrorNotice error={error} />}
        <button type="submit" className="button-primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
