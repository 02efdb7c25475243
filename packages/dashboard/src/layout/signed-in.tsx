import { useMemo } from "react";
import type { DashboardApi } from "../api/dashboard-api.js";
import type { Session } from "../api/types.js";
import { AppContext } from "../app-context.js";
import { AuditPage } from "../audit/audit-page.js";
import { type Route, useLocation } from "../router.js";
import { CreateSecretPage } from "../secrets/create-secret-page.js";
import { SecretPage } from "../secrets/secret-page.js";
import { SecretsPage } from "../secrets/secrets-page.js";
import { PageHeading } from "../ui/page-heading.js";
import { Header } from "./header.js";

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "secrets":
      return <SecretsPage />;
    case "create":
      return <CreateSecretPage />;
    case "secret":
      return <SecretPage key={route.name} name={route.name} />;
    case "audit":
      return <AuditPage />;
    case "not-found":
      return <PageHeading title="Page not found" />;
  }
}

/** The frame of every page once signed in: header, then the page the address bar names. */
export function SignedIn(props: { api: DashboardApi; session: Session; onSignedOut(): void }) {
  const { api, session } = props;
  const { route, environment } = useLocation();
  const context = useMemo(() => ({ api, session, environment }), [api, session, environment]);
  return (
    <AppContext.Provider value={context}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header route={route} onSignedOut={props.onSignedOut} />
      <main id="main" className="page">
        <Page route={route} />
      </main>
    </AppContext.Provider>
  );
}
