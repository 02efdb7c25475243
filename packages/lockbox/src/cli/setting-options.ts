import { type ConfigInput, type Scope, type Setting, settings, settingsOf } from "@lockbox/server/settings";
import { type Command, Help, Option } from "commander";

const shownDefault = (setting: Setting<unknown>) =>
  setting.defaultText ?? (typeof setting.default === "string" ? setting.default : undefined);

/**
 * An option for each setting of `scope` that has one. Commander neither parses nor defaults them
 * (the config parser does, with the variable between the two), so help states both itself.
 */
export function addSettingOptions(command: Command, scope: Scope): Command {
  for (const [, setting] of settingsOf(scope)) {
    if (!setting.option) continue;
    const byDefault = shownDefault(setting);
    const notes = `${byDefault === undefined ? "" : ` (default: ${byDefault})`} (env: ${setting.variable})`;
    command.addOption(new Option(setting.option, `${setting.description}${notes}`));
  }
  return command;
}

/** The options of `scope`'s settings as commander parsed them, keyed as the config parser takes them. */
export function settingOptions<S extends Scope>(scope: S, parsed: Record<string, unknown>): ConfigInput<S> {
  return Object.fromEntries(
    settingsOf(scope).flatMap(([key, setting]) =>
      setting.option ? [[key, parsed[new Option(setting.option).attributeName()]]] : [],
    ),
  ) as ConfigInput<S>;
}

function whoReads(setting: Setting<unknown>): string {
  if (setting.scopes.includes("client")) return "";
  const commands = setting.scopes.map((scope) => (scope === "server" ? "server" : "admin"));
  return `lockbox ${commands.join(" and ")}: `;
}

function variableHelp(setting: Setting<unknown>): string {
  const byDefault = shownDefault(setting);
  const notes = [
    ...(setting.option ? [setting.option.split(" ")[0]] : []),
    ...(byDefault === undefined ? [] : [`default: ${byDefault}`]),
  ];
  return `${whoReads(setting)}${setting.description}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`;
}

/** Every variable, as `lockbox --help` lists them after the commands. */
export function variablesHelp(): string {
  const all: Setting<unknown>[] = Object.values(settings);
  const help = new Help();
  const width = Math.max(...all.map((setting) => setting.variable.length));
  return [
    "Environment variables (an option given on the command line wins over its variable):",
    ...all.map((setting) => help.formatItem(setting.variable, width, variableHelp(setting), help)),
  ].join("\n");
}
