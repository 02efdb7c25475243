import { LockboxError } from "@lockbox/server/shared";
import { useState } from "react";

/** Copies `text` (or what `text()` resolves to) to the clipboard and says so; `what` names it for screen readers. */
export function CopyButton(props: { text: string | (() => Promise<string>); what: string }) {
  const [outcome, setOutcome] = useState("");

  const copy = async () => {
    try {
      const text = typeof props.text === "string" ? props.text : await props.text();
      await navigator.clipboard.writeText(text);
      setOutcome("Copied");
    } catch (error) {
      setOutcome(error instanceof LockboxError ? error.message : "Copy failed: the browser refused");
    }
  };

  return (
    <span className="copy">
      <button type="button" className="button-small" onClick={() => void copy()}>
        Copy<span className="visually-hidden"> {props.what}</span>
      </button>
      <output className="copy-outcome">{outcome}</output>
    </span>
  );
}
