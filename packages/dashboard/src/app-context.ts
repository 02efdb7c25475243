import { createContext, useContext } from "react";
import type { DashboardApi } from "./api/dashboard-api.js";
import type { Session } from "./api/types.js";

/** What every page of a signed-in user needs: the API, who they are and where they are. */
interface AppContextValue {
  api: DashboardApi;
  session: Session;
  environment: string;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error("useApp outside of a signed-in page");
  return value;
}

/** Whether the user may see values and change secrets: viewers and invokers see names and keys only. */
export function canWrite(session: Session): boolean {
  return session.actor.role === "developer" || session.actor.role === "admin";
}
