import { useCallback, useState } from "react";
import { canWrite, useApp } from "../app-context.js";
import { withEnvironment } from "../router.js";
import { Link } from "../ui/link.js";
import { PageHeading } from "../ui/page-heading.js";
import { AsyncView } from "../ui/status.js";
import { useAsync } from "../ui/use-async.js";
import { EmptyState } from "./empty-state.js";
import { SecretsTable } from "./secrets-table.js";

/** The secrets of the chosen environment, searchable by name. */
export function SecretsPage() {
  const { api, session, environment } = useApp();
  const load = useCallback(() => api.listSecrets(environment), [api, environment]);
  const [state] = useAsync(load);
  const [search, setSearch] = useState("");

  return (
    <>
      <PageHeading title="Secrets">
        {canWrite(session) && (
          <Link className="button button-primary" href={withEnvironment("/secrets/new", environment)}>
            New secret
          </Link>
        )}
      </PageHeading>
      <p className="lede">
        Environment <strong>{environment}</strong>
      </p>
      <AsyncView state={state} what="secrets">
        {(secrets) =>
          secrets.length === 0 ? (
            <EmptyState />
          ) : (
            <>
              <p className="search">
                <label htmlFor="search">Search by name</label>
                <input
                  id="search"
                  type="search"
                  value={search}
                  onChange={(event) => setSearch(event.target.value)}
                  autoComplete="off"
                  spellCheck={false}
                />
              </p>
              <SecretsTable
                secrets={secrets.filter((secret) => secret.name.toLowerCase().includes(search.toLowerCase()))}
                total={secrets.length}
                search={search}
              />
            </>
          )
        }
      </AsyncView>
    </>
  );
}
