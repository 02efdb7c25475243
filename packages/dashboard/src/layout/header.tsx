import { useApp } from "../app-context.js";
import { type Route, withEnvironment } from "../router.js";
import { Link } from "../ui/link.js";
import { EnvironmentSwitcher } from "./environment-switcher.js";

/** Workspace, environment switcher, navigation and sign-out. */
export function Header(props: { route: Route; onSignedOut(): void }) {
  const { api, session, environment } = useApp();
  const { actor } = session;
  const current = (page: Route["page"]) => (props.route.page === page ? "page" : undefined);

  const signOut = async () => {
    // Signed out here whatever the server says: at worst its session expires on its own.
    await api.signOut().catch(() => undefined);
    props.onSignedOut();
  };

  return (
    <header className="header">
      <Link className="brand" href={withEnvironment("/", environment)}>
        Lockbox
      </Link>
      <p className="workspace">
        <span className="label">Workspace</span> {actor.workspace}
      </p>
      <EnvironmentSwitcher route={props.route} />
      <nav aria-label="Main" className="nav">
        <Link href={withEnvironment("/", environment)} aria-current={current("secrets")}>
          Secrets
        </Link>
        {actor.role === "admin" && (
          <Link href={withEnvironment("/audit", environment)} aria-current={current("audit")}>
            Audit log
          </Link>
        )}
      </nav>
      <p className="actor">
        {actor.name} <span className="role">{actor.role}</span>
      </p>
      <button type="button" onClick={() => void signOut()}>
        Sign out
      </button>
    </header>
  );
}
