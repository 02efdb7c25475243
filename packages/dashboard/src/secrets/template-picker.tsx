import { type Template, templates } from "./templates.js";

/** Radio buttons, one per template: arrow keys move between them. */
export function TemplatePicker(props: { value: string; onChange(template: Template): void }) {
  return (
    <fieldset className="templates">
      <legend>Template</legend>
      {templates.map((template) => (
        <label key={template.id} className="template">
          <input
            type="radio"
            name="template"
            value={template.id}
            checked={props.value === template.id}
            onChange={() => props.onChange(template)}
          />
          {template.label}
        </label>
      ))}
    </fieldset>
  );
}
