import { pathToFileURL } from "node:url";
import { functionRegistry } from "@lockbox/server/shared";
import type { AppDefinition } from "./definitions.js";
import { appRegistry, functionDefinition, setInspecting } from "./global-slots.js";

/** A bundle imported in this process: its exports, and the apps and functions it defined. */
export interface ImportedBundle {
  module: Record<string, unknown>;
  /** How many functions this process had registered before the bundle defined its own. */
  base: number;
  apps: AppDefinition[];
  /** Export names of the bundle's functions, by their index in the bundle. */
  names: Map<number, string>;
}

/** Export name → function index (relative to `base`), for messages and for deploys. */
function exportNames(module: Record<string, unknown>, base: number): Map<number, string> {
  const names = new Map<number, string>();
  for (const [name, value] of Object.entries(module)) {
    const definition = functionDefinition(value);
    if (definition && definition.index >= base && !names.has(definition.index - base))
      names.set(definition.index - base, name);
  }
  return names;
}

/**
 * Imports a bundle here. With `inspect`, `app.run` and `app.deploy` at its top level do nothing:
 * the import only reads what the module defines.
 */
export async function importBundle(
  bundlePath: string,
  options: { inspect: boolean },
): Promise<ImportedBundle> {
  const base = functionRegistry().length;
  const appsBefore = appRegistry().length;
  if (options.inspect) setInspecting(true);
  try {
    const module = (await import(pathToFileURL(bundlePath).href)) as Record<string, unknown>;
    return { module, base, apps: appRegistry().slice(appsBefore), names: exportNames(module, base) };
  } finally {
    if (options.inspect) setInspecting(false);
  }
}
