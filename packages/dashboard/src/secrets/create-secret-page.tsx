import { secretNameProblem } from "@lockbox/server/shared";
import { type FormEvent, useRef, useState } from "react";
import { flushSync } from "react-dom";
import { useApp } from "../app-context.js";
import { navigate, secretHref } from "../router.js";
import { PageHeading } from "../ui/page-heading.js";
import { ErrorNotice } from "../ui/status.js";
import { DotenvPaste } from "./dotenv-paste.js";
import { KeyValueRows } from "./key-value-rows.js";
import { rowProblems, rowValues, useRows } from "./rows.js";
import { TemplatePicker } from "./template-picker.js";
import { type Template, templates } from "./templates.js";

/** A new secret from a template or a pasted .env, checked with the server's rules as it is typed. */
export function CreateSecretPage() {
  const { api, environment } = useApp();
  const [template, setTemplate] = useState("custom");
  const [name, setName] = useState("");
  const [nameTaken, setNameTaken] = useState("");
  const pairs = useRows([["", ""]]);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const form = useRef<HTMLFormElement>(null);

  const problems = rowProblems(pairs.rows);
  const values = rowValues(pairs.rows);
  const nameError = submitted || name ? (secretNameProblem(name) ?? nameTaken) : nameTaken;
  const noKeys = Object.keys(values).length === 0 ? "Add at least one key" : "";

  const pickTemplate = (next: Template) => {
    setTemplate(next.id);
    // A name the user typed stays; one a template filled in follows the template.
    if (name === "" || templates.some((other) => other.name === name)) setName(next.name ?? "");
    const current = new Map(pairs.rows.map((row) => [row.key, row.value]));
    pairs.replace(next.keys.map((key) => [key, current.get(key) ?? ""]));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    flushSync(() => setSubmitted(true));
    if (secretNameProblem(name) || problems.size > 0 || noKeys) {
      form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    setBusy(true);
    setError("");
    try {
      await api.createSecret(environment, name, values);
      navigate(secretHref(name, environment));
    } catch (caught) {
      const failure = caught as Error & { code?: string };
      if (failure.code === "already_exists") setNameTaken(failure.message);
      else setError(failure.message);
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeading title="New secret" />
      <p className="lede">
        In environment <strong>{environment}</strong>
      </p>
      <form ref={form} className="card form" noValidate onSubmit={(event) => void submit(event)}>
        <TemplatePicker value={template} onChange={pickTemplate} />
        <div className="field">
          <label htmlFor="name">Name</label>
          <input
            id="name"
            className="mono"
            value={name}
            autoComplete="off"
            spellCheck={false}
            onChange={(event) => {
              setName(event.target.value);
              setNameTaken("");
            }}
            aria-invalid={nameError ? true : undefined}
            aria-describedby={nameError ? "name-error" : "name-help"}
          />
          {nameError ? (
            <p id="name-error" className="field-error">
              {nameError}
            </p>
          ) : (
            <p id="name-help" className="help">
              Functions find it by this name: letters, digits, '.', '-' and '_'.
            </p>
          )}
        </div>
        <fieldset className="pairs">
          <legend>Keys and values</legend>
          <KeyValueRows
            rows={pairs.rows}
            problems={problems}
            showAll={submitted}
            onChange={pairs.change}
            onRemove={pairs.remove}
          />
          <button type="button" onClick={pairs.add}>
            Add key
          </button>
          {submitted && noKeys && <p className="field-error">{noKeys}</p>}
        </fieldset>
        <DotenvPaste onFill={pairs.fill} />
        {error && <ErrorNotice error={error} />}
        <div className="actions">
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? "Creating…" : "Create secret"}
          </button>
        </div>
      </form>
    </>
  );
}
