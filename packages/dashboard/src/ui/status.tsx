import type { ReactNode } from "react";
import type { AsyncState } from "./use-async.js";

export function Loading({ what }: { what: string }) {
  return <output className="status">Loading {what}…</output>;
}

/** An error message that screen readers announce. */
export function ErrorNotice({ error }: { error: Error | string }) {
  return (
    <p className="notice notice-error" role="alert">
      {typeof error === "string" ? error : error.message}
    </p>
  );
}

/** Shows loading and error states, and `children(data)` once loaded. */
export function AsyncView<T>(props: {
  state: AsyncState<T>;
  what: string;
  children: (data: T) => ReactNode;
}) {
  const { state } = props;
  if (state.status === "loading") return <Loading what={props.what} />;
  if (state.status === "error") return <ErrorNotice error={state.error} />;
  return <>{props.children(state.data)}</>;
}
