import { useState } from "react";
import { type ParsedDotenv, parseDotenv } from "./dotenv-parse.js";

function fillProblem({ entries, badLines }: ParsedDotenv): string {
  if (badLines.length === 1) return `Line ${badLines[0]} is not KEY=VALUE and was skipped`;
  if (badLines.length > 1) return `Lines ${badLines.join(", ")} are not KEY=VALUE and were skipped`;
  return entries.length === 0 ? "No KEY=VALUE line found" : "";
}

/** A box to paste a whole .env file into; its pairs fill the key/value rows. */
export function DotenvPaste(props: { onFill(pairs: [string, string][]): void }) {
  const [text, setText] = useState("");
  const [problem, setProblem] = useState("");

  const fill = () => {
    const parsed = parseDotenv(text);
    setProblem(fillProblem(parsed));
    if (parsed.entries.length > 0) {
      props.onFill(parsed.entries);
      setText("");
    }
  };

  return (
    <details className="dotenv">
      <summary>Paste a .env file</summary>
      <div className="field">
        <label htmlFor="dotenv">.env text</label>
        <textarea
          id="dotenv"
          className="mono"
          rows={6}
          value={text}
          spellCheck={false}
          placeholder={"# one KEY=VALUE a line\nexport API_KEY=…"}
          onChange={(event) => setText(event.target.value)}
          aria-describedby={problem ? "dotenv-error" : undefined}
        />
        {problem && (
          <p id="dotenv-error" className="field-error" role="alert">
            {problem}
          </p>
        )}
      </div>
      <button type="button" onClick={fill}>
        Fill in keys
      </button>
    </details>
  );
}
