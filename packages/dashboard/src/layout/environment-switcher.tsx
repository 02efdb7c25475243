import { useCallback } from "react";
import { useApp } from "../app-context.js";
import { navigate, type Route, withEnvironment } from "../router.js";
import { useAsync } from "../ui/use-async.js";

function pathIn(route: Route): string {
  if (route.page === "create") return "/secrets/new";
  if (route.page === "audit") return "/audit";
  // A secret's page goes back to the list: the other environment may have no secret of that name.
  return "/";
}

/** The environment dropdown: secrets are listed, created and opened in the one chosen here. */
export function EnvironmentSwitcher({ route }: { route: Route }) {
  const { api, environment } = useApp();
  const load = useCallback(() => api.environments(), [api]);
  const [state] = useAsync(load);
  const names = state.status === "ready" ? state.data.map((info) => info.name) : [];
  if (!names.includes(environment)) names.unshift(environment);

  return (
    <p className="environment">
      <label htmlFor="environment" className="label">
        Environment
      </label>
      <select
        id="environment"
        value={environment}
        onChange={(event) => navigate(withEnvironment(pathIn(route), event.target.value))}
      >
        {names.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </p>
  );
}
