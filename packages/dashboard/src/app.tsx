import { useEffect, useMemo, useState } from "react";
import { createDashboardApi } from "./api/dashboard-api.js";
import type { Session } from "./api/types.js";
import { SignedIn } from "./layout/signed-in.js";
import { SignInPage } from "./session/sign-in-page.js";
import { Loading } from "./ui/status.js";

/** The dashboard: restores the session (the cookie survives a reload), or asks for a token. */
export function App() {
  // undefined while the session is being checked; null when signed out.
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState("");
  const api = useMemo(
    () =>
      createDashboardApi(() => {
        setSession(null);
        setNotice("Your session has ended: sign in again.");
      }),
    [],
  );

  useEffect(() => {
    api.restoreSession().then(setSession, (error: { code?: string; message: string }) => {
      if (error.code !== "unauthenticated") setNotice(error.message);
      setSession(null);
    });
  }, [api]);

  if (session === undefined) return <Loading what="your session" />;
  if (session === null) {
    const signedIn = (started: Session) => {
      setNotice("");
      setSession(started);
    };
    return <SignInPage api={api} notice={notice} onSignedIn={signedIn} />;
  }
  return <SignedIn api={api} session={session} onSignedOut={() => setSession(null)} />;
}
