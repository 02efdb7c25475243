import type { Row, RowProblem } from "./rows.js";

interface KeyValueRowsProps {
  rows: Row[];
  problems: Map<number, RowProblem>;
  /** Whether to show every problem; before a first save, only those of keys already typed. */
  showAll: boolean;
  /** Numbers rows after the ones shown above them (a secret's existing keys). */
  offset?: number;
  onChange(id: number, change: Partial<Row>): void;
  onRemove(id: number): void;
}

function FieldError({ id, problem }: { id: string; problem: string | undefined }) {
  return problem ? (
    <p id={id} className="field-error">
      {problem}
    </p>
  ) : null;
}

/** Key and value inputs, one pair a row, each with its rule-breaking message beside it. */
export function KeyValueRows(props: KeyValueRowsProps) {
  return (
    <>
      {props.rows.map((row, index) => {
        const number = index + 1 + (props.offset ?? 0);
        const problem = props.problems.get(row.id) ?? {};
        const keyError = props.showAll || row.key !== "" ? problem.key : undefined;
        const ids = { key: `key-${row.id}`, value: `value-${row.id}` };
        return (
          <div className="pair" key={row.id}>
            <div className="field">
              <label htmlFor={ids.key}>
                Key<span className="visually-hidden"> {number}</span>
              </label>
              <input
                id={ids.key}
                className="mono"
                value={row.key}
                autoComplete="off"
                spellCheck={false}
                onChange={(event) => props.onChange(row.id, { key: event.target.value })}
                aria-invalid={keyError ? true : undefined}
                aria-describedby={keyError ? `${ids.key}-error` : undefined}
              />
              <FieldError id={`${ids.key}-error`} problem={keyError} />
            </div>
            <div className="field">
              <label htmlFor={ids.value}>
                Value<span className="visually-hidden"> {number}</span>
              </label>
              <textarea
                id={ids.value}
                className="mono"
                rows={1}
                value={row.value}
                autoComplete="off"
                spellCheck={false}
                onChange={(event) => props.onChange(row.id, { value: event.target.value })}
                aria-invalid={problem.value ? true : undefined}
                aria-describedby={problem.value ? `${ids.value}-error` : undefined}
              />
              <FieldError id={`${ids.value}-error`} problem={problem.value} />
            </div>
            <button type="button" className="button-small remove" onClick={() => props.onRemove(row.id)}>
              Remove<span className="visually-hidden"> key {number}</span>
            </button>
          </div>
        );
      })}
    </>
  );
}
