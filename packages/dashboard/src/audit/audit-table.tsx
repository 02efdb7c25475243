import type { AuditEntry } from "../api/types.js";
import { formatTime } from "../ui/format.js";

function target(entry: AuditEntry): string {
  const parts = [
    entry.environment && `environment ${entry.environment}`,
    entry.secret && `secret ${entry.secret}`,
    entry.target && `function ${entry.target}`,
    entry.version !== null && `version ${entry.version}`,
  ];
  return parts.filter(Boolean).join(", ") || "-";
}

/** Audit entries as a table; on a narrow screen each becomes a card. Every field is shown as text. */
export function AuditTable({ entries }: { entries: AuditEntry[] }) {
  if (entries.length === 0) return <p>No entries yet.</p>;
  return (
    <table className="table cards">
      <caption className="visually-hidden">Audit entries</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">Action</th>
          <th scope="col">On</th>
          <th scope="col">From</th>
          <th scope="col">User agent</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.id}>
            <td data-label="When">
              <time dateTime={entry.at}>{formatTime(entry.at)}</time>
            </td>
            <td data-label="Who">{entry.actor}</td>
            <td data-label="Action" className="mono">
              {entry.action}
            </td>
            <td data-label="On">{target(entry)}</td>
            <td data-label="From">{entry.source ?? "-"}</td>
            <td data-label="User agent" className="user-agent">
              {entry.userAgent ?? "-"}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
