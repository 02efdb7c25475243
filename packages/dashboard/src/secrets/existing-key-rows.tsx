import { valueProblem } from "@lockbox/server/shared";

interface ExistingKeyRowsProps {
  keys: string[];
  /** New values typed for existing keys; an empty one keeps the current value. */
  values: Record<string, string>;
  removed: ReadonlySet<string>;
  onValue(key: string, value: string): void;
  onRemoved(key: string, removed: boolean): void;
}

/** A secret's current keys while editing: type a new value, or mark the key for removal. */
export function ExistingKeyRows(props: ExistingKeyRowsProps) {
  return (
    <>
      {props.keys.map((key, index) => {
        const id = `existing-${index}`;
        const removed = props.removed.has(key);
        const problem = valueProblem(key, props.values[key] ?? "");
        return (
          <div className={removed ? "pair removed" : "pair"} key={key}>
            <div className="field">
              <span className="field-label">Key</span>
              <span className="mono key-name">{key}</span>
            </div>
            <div className="field">
              <label htmlFor={id}>
                New value<span className="visually-hidden"> of {key}</span>
              </label>
              <textarea
                id={id}
                className="mono"
                rows={1}
                placeholder="Unchanged"
                value={props.values[key] ?? ""}
                disabled={removed}
                autoComplete="off"
                spellCheck={false}
                onChange={(event) => props.onValue(key, event.target.value)}
                aria-invalid={problem ? true : undefined}
                aria-describedby={problem ? `${id}-error` : undefined}
              />
              {problem && (
                <p id={`${id}-error`} className="field-error">
                  {problem}
                </p>
              )}
            </div>
            <label className="remove-toggle">
              <input
                type="checkbox"
                checked={removed}
                onChange={(event) => props.onRemoved(key, event.target.checked)}
              />
              Remove<span className="visually-hidden"> {key}</span>
            </label>
          </div>
        );
      })}
    </>
  );
}
