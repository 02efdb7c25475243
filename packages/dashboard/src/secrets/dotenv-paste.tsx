import { InvalidError, parseDotenv } from "@lockbox/server/shared";
import { useState } from "react";

interface Read {
  pairs: [string, string][];
  problem: string;
}

/**
 * The pairs of a pasted .env, read with the CLI's rules. A browser has no environment: a `${VAR}`
 * that no earlier line assigns reads as the CLI reads an unset variable (its `:-default`, else
 * empty), and the message names it so that nothing is emptied silently.
 */
function readPasted(text: string): Read {
  const unset = new Set<string>();
  let pairs: [string, string][];
  try {
    pairs = parseDotenv(text, {
      lookup: (name) => {
        unset.add(name);
        return undefined;
      },
    });
  } catch (error) {
    if (!(error instanceof InvalidError)) throw error;
    return { pairs: [], problem: `Could not read the .env text: ${error.message}` };
  }
  if (pairs.length === 0) return { pairs, problem: "No KEY=VALUE line found" };
  const names = [...unset].map((name) => `\${${name}}`).join(", ");
  const problem = names ? `Filled in; not assigned earlier in the text, so read as unset: ${names}` : "";
  return { pairs, problem };
}

/** A box to paste a whole .env file into; its pairs fill the key/value rows, or nothing does. */
export function DotenvPaste(props: { onFill(pairs: [string, string][]): void }) {
  const [text, setText] = useState("");
  const [problem, setProblem] = useState("");

  const fill = () => {
    const read = readPasted(text);
    setProblem(read.problem);
    if (read.pairs.length > 0) {
      props.onFill(read.pairs);
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
