import { z } from "zod";
import { InvalidError } from "../shared/errors.js";
import {
  type Config,
  type ConfigInput,
  type Scope,
  type Setting,
  type SettingKey,
  settings,
  settingsOf,
} from "./config-settings.js";

/** Where settings come from: options (a command line's, or a program's) win over variables. */
export interface ConfigSources<S extends Scope> {
  options?: ConfigInput<S> | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

/** The option's long name (`--port`), or the variable when there is no option. */
const optionName = (setting: Setting<unknown>) => setting.option?.match(/--[\w-]+/)?.[0] ?? setting.variable;

const orBoth = (setting: Setting<unknown>) =>
  setting.option ? `${optionName(setting)} or ${setting.variable}` : setting.variable;

// An empty variable counts as unset, as an empty option does: `LOCKBOX_X= lockbox …` clears it.
const isGiven = (value: unknown) => value !== undefined && value !== "";

interface Given {
  input: Record<string, unknown>;
  /** Where each value came from, to name it in a problem. */
  from: Map<SettingKey, string>;
}

/** For each setting of `scope`, the value given (option, then variable, then default) and its origin. */
function collect<S extends Scope>(scope: S, sources: ConfigSources<S>): Given {
  const options: Partial<Record<SettingKey, unknown>> = sources.options ?? {};
  const env = sources.env ?? {};
  const given: Given = { input: {}, from: new Map() };
  const take = (key: SettingKey, value: unknown, origin: string) => {
    given.input[key] = value;
    given.from.set(key, origin);
  };
  for (const [key, setting] of settingsOf(scope)) {
    if (isGiven(options[key])) take(key, options[key], optionName(setting));
    else if (isGiven(env[setting.variable])) take(key, env[setting.variable], setting.variable);
    else if (setting.default !== undefined) {
      const value = typeof setting.default === "function" ? setting.default() : setting.default;
      take(key, value, `The default of ${setting.variable}`);
    }
  }
  return given;
}

/** Settings given without the setting they need. */
function missingNeeds(scope: Scope, { from }: Given): string[] {
  return settingsOf(scope).flatMap(([key, setting]) =>
    setting.needs && from.has(key) && !from.has(setting.needs as SettingKey)
      ? [`${from.get(key)} is used only with ${orBoth(settings[setting.needs as SettingKey])}: set that too`]
      : [],
  );
}

/**
 * Parses what `scope` reads from `sources`, with one zod schema, into a frozen config. Every
 * problem is listed, each naming the option or variable it came from and what is allowed; no
 * message repeats a value, which may be a credential.
 */
export function parseConfig<S extends Scope>(scope: S, sources: ConfigSources<S> = {}): Config<S> {
  const given = collect(scope, sources);
  const shape = Object.fromEntries(
    settingsOf(scope).map(([key, setting]) => [key, setting.format.schema(z).optional()]),
  );
  const parsed = z.object(shape).safeParse(given.input);
  const problems = new Map<SettingKey, string>();
  for (const issue of parsed.error?.issues ?? []) {
    const key = issue.path[0] as SettingKey;
    problems.set(key, `${given.from.get(key)} must be ${settings[key].format.allowed}`);
  }
  const all = [...problems.values(), ...missingNeeds(scope, given)];
  if (all.length > 0 || !parsed.success) throw new InvalidError(`Invalid configuration: ${all.join("; ")}`);
  return Object.freeze(parsed.data) as Config<S>;
}
