import { useCallback, useState } from "react";
import type { AuditEntry } from "../api/types.js";
import { useApp } from "../app-context.js";
import { PageHeading } from "../ui/page-heading.js";
import { AsyncView, ErrorNotice } from "../ui/status.js";
import { useAsync } from "../ui/use-async.js";
import { AuditTable } from "./audit-table.js";

const pageSize = 100;

/** Who read or changed what, when and from where, newest first; admins only (the server enforces it). */
export function AuditPage() {
  const { api } = useApp();
  const load = useCallback(() => api.audit(), [api]);
  const [state] = useAsync(load);
  const [older, setOlder] = useState<AuditEntry[]>([]);
  const [more, setMore] = useState({ busy: false, done: false, error: "" });

  const loadOlder = async (entries: AuditEntry[]) => {
    setMore({ ...more, busy: true });
    try {
      const page = await api.audit(entries.at(-1)?.id);
      setOlder([...older, ...page]);
      setMore({ busy: false, done: page.length < pageSize, error: "" });
    } catch (caught) {
      setMore({ busy: false, done: false, error: (caught as Error).message });
    }
  };

  return (
    <>
      <PageHeading title="Audit log" />
      <p className="lede">Every read of values and every change in this workspace, newest first.</p>
      <AsyncView state={state} what="the audit log">
        {(first) => {
          const entries = [...first, ...older];
          return (
            <>
              <AuditTable entries={entries} />
              {more.error && <ErrorNotice error={more.error} />}
              {first.length === pageSize && !more.done && (
                <button type="button" disabled={more.busy} onClick={() => void loadOlder(entries)}>
                  {more.busy ? "Loading…" : "Show older entries"}
                </button>
              )}
            </>
          );
        }}
      </AsyncView>
    </>
  );
}
