import { defaultEnvironment } from "@lockbox/server/shared";
import { canWrite, useApp } from "../app-context.js";
import { withEnvironment } from "../router.js";
import { Link } from "../ui/link.js";

/** What a secret is and how to make one, for an environment that has none yet. */
export function EmptyState() {
  const { session, environment } = useApp();
  const flag = environment === defaultEnvironment ? "" : ` -e ${environment}`;
  return (
    <section className="card empty" aria-labelledby="empty-title">
      <h2 id="empty-title">No secrets in {environment} yet</h2>
      <p>
        A secret is a named set of environment variables, such as API keys and database passwords. A function
        that names it gets those variables when its container starts; the values never sit in your code.
      </p>
      <p>Create one with the CLI:</p>
      <pre className="snippet">
        <code>{`lockbox secret create my-secret API_KEY=…${flag}`}</code>
      </pre>
      {canWrite(session) ? (
        <p>
          <Link className="button button-primary" href={withEnvironment("/secrets/new", environment)}>
            Create a secret
          </Link>
        </p>
      ) : (
        <p>Your {session.actor.role} role cannot create secrets: ask a developer or an admin.</p>
      )}
    </section>
  );
}
