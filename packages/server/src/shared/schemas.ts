import { z } from "zod";
import {
  appNameProblem,
  environmentNameProblem,
  identityNameProblem,
  keyProblem,
  kubernetesNameProblem,
  limits,
  secretNameProblem,
  valuesProblem,
  workspaceNameProblem,
} from "./rules.js";

// Kept apart from rules.ts so that code which only checks names (the SDK in a container) never loads zod.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function refined<S extends z.ZodType>(schema: S, problem: (value: z.output<S>) => string | undefined): S {
  return schema.superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: "custom", message });
  });
}

/** zod schemas built from the same rules, for request bodies and parameters. */
export const schemas = {
  secretName: refined(z.string(), secretNameProblem),
  appName: refined(z.string(), appNameProblem),
  environmentName: refined(z.string(), environmentNameProblem),
  workspaceName: refined(z.string(), workspaceNameProblem),
  identityName: refined(z.string(), identityNameProblem),
  key: refined(z.string(), keyProblem),
  kubernetesName: refined(z.string(), kubernetesNameProblem),
  /** A list page's `limit` query parameter: whole items, from 1 to the largest page. */
  pageLimit: z.coerce.number().int().min(1).max(limits.pageSizeMax),
  // Values are checked by the rule rather than by zod's type check, so a number gets the same
  // message on every path ("Non-string value for secret 'K'") and never echoes the value. The
  // object is checked as sent, not rebuilt: zod's record drops a "__proto__" key, which §5 allows.
  values: z
    .unknown()
    .superRefine((value, ctx) => {
      const message = isRecord(value)
        ? valuesProblem(value)
        : 'Values must be an object of "KEY": "value" pairs';
      if (message) ctx.addIssue({ code: "custom", message });
    })
    .meta({
      type: "object",
      additionalProperties: { type: "string" },
      description: "Environment variables: keys as DESIGN.md §5 allows, string values",
    }) as unknown as z.ZodType<Record<string, string>>,
};
