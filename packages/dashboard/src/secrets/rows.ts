import { keyProblem, quote, valueProblem } from "@lockbox/server/shared";
import { useRef, useState } from "react";

/** One key/value pair being typed; `id` keeps React's row identity while keys change. */
export interface Row {
  id: number;
  key: string;
  value: string;
}

export interface RowProblem {
  key?: string | undefined;
  value?: string | undefined;
}

const isBlank = (row: Row) => row.key === "" && row.value === "";

/** Rows with their edits: replace them all, fill them from pairs, add, change or remove one. */
export function useRows(initial: [string, string][]) {
  const nextId = useRef(0);
  const toRows = (pairs: [string, string][]) =>
    pairs.map(([key, value]) => {
      nextId.current += 1;
      return { id: nextId.current, key, value };
    });
  const [rows, setRows] = useState<Row[]>(() => toRows(initial));

  return {
    rows,
    replace: (pairs: [string, string][]) => setRows(toRows(pairs)),
    /** Sets the value of each pair's key, adding rows for new keys and dropping blank rows. */
    fill(pairs: [string, string][]) {
      const byKey = new Map(pairs);
      const kept = rows
        .map((row) => (byKey.has(row.key) ? { ...row, value: byKey.get(row.key) ?? "" } : row))
        .filter((row) => !isBlank(row));
      const known = new Set(kept.map((row) => row.key));
      setRows([...kept, ...toRows(pairs.filter(([key]) => !known.has(key)))]);
    },
    add: () => setRows([...rows, ...toRows([["", ""]])]),
    change: (id: number, change: Partial<Row>) =>
      setRows(rows.map((row) => (row.id === id ? { ...row, ...change } : row))),
    remove: (id: number) => setRows(rows.filter((row) => row.id !== id)),
  };
}

/** The shared rules' complaint about each row's key and value, and about keys given twice. */
export function rowProblems(rows: Row[], otherKeys: readonly string[] = []): Map<number, RowProblem> {
  const problems = new Map<number, RowProblem>();
  const seen = new Set(otherKeys);
  for (const row of rows) {
    if (isBlank(row)) continue;
    const repeated = seen.has(row.key) ? `Key ${quote(row.key)} is given more than once` : undefined;
    seen.add(row.key);
    const problem = { key: keyProblem(row.key) ?? repeated, value: valueProblem(row.key, row.value) };
    if (problem.key || problem.value) problems.set(row.id, problem);
  }
  return problems;
}

/** The pairs of the rows that are not blank. */
export function rowValues(rows: Row[]): Record<string, string> {
  return Object.fromEntries(rows.filter((row) => !isBlank(row)).map((row) => [row.key, row.value]));
}
