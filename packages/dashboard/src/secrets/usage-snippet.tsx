import { defaultEnvironment } from "@lockbox/server/shared";
import type { SecretMetadata } from "../api/types.js";
import { CopyButton } from "../ui/copy-button.js";

/** The line a function needs to receive this secret, ready to copy. */
export function UsageSnippet({ secret }: { secret: SecretMetadata }) {
  const options =
    secret.environment === defaultEnvironment
      ? ""
      : `, { environment: ${JSON.stringify(secret.environment)} }`;
  const snippet = `app.function({ secrets: [Secret.fromName(${JSON.stringify(secret.name)}${options})] }, …)`;
  return (
    <section aria-labelledby="usage-title" className="section">
      <div className="section-heading">
        <h2 id="usage-title">Use it in a function</h2>
        <CopyButton text={snippet} what="the snippet" />
      </div>
      <pre className="snippet">
        <code>{snippet}</code>
      </pre>
    </section>
  );
}
