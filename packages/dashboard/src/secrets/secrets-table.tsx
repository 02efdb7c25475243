import type { SecretMetadata } from "../api/types.js";
import { useApp } from "../app-context.js";
import { secretHref } from "../router.js";
import { formatTime } from "../ui/format.js";
import { Link } from "../ui/link.js";

function countText(shown: number, total: number, search: string): string {
  if (search) return `${shown} of ${total} secrets match “${search}”`;
  return total === 1 ? "1 secret" : `${total} secrets`;
}

/** One row per secret; on a narrow screen each row becomes a card (styles.css). */
export function SecretsTable(props: { secrets: SecretMetadata[]; total: number; search: string }) {
  const { environment } = useApp();
  const { secrets, total, search } = props;
  return (
    <>
      <output className="count">{countText(secrets.length, total, search)}</output>
      {secrets.length > 0 && (
        <table className="table cards">
          <caption className="visually-hidden">Secrets in {environment}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Keys</th>
              <th scope="col">Created</th>
              <th scope="col">Created by</th>
              <th scope="col">Last used</th>
            </tr>
          </thead>
          <tbody>
            {secrets.map((secret) => (
              <tr key={secret.name}>
                <th scope="row" data-label="Name">
                  <Link href={secretHref(secret.name, environment)}>{secret.name}</Link>
                </th>
                <td data-label="Keys">{secret.keys.length}</td>
                <td data-label="Created">{formatTime(secret.createdAt)}</td>
                <td data-label="Created by">{secret.createdBy}</td>
                <td data-label="Last used">{formatTime(secret.lastUsedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
