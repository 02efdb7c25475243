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

/** `lockbox server and admin`: the commands of the scopes that have options (every other reads variables only). */
function commandsOf(setting: Setting<unknown>): string {
  const commands = setting.scopes.flatMap((scope) => (scope === "client" ? [] : [scope]));
  return `lockbox ${commands.join(" and ")}`;
}

function variableHelp(setting: Setting<unknown>): string {
  const forEveryCommand = setting.scopes.includes("client");
  const byDefault = shownDefault(setting);
  const flag = setting.option?.split(" ")[0];
  const notes = [
    ...(flag === undefined ? [] : [forEveryCommand ? `${commandsOf(setting)}: ${flag}` : flag]),
    ...(byDefault === undefined ? [] : [`default: ${byDefault}`]),
  ];
  const reader = forEveryCommand ? "" : `${commandsOf(setting)}: `;
  return `${reader}${setting.description}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`;
}

/** Every variable, as `lockbox --help` lists them after the commands. */
export function variablesHelp(): string {
  const all: Setting<unknown>[] = Object.values(settings);
  const help = new Help();
  const width = Math.max(...all.map((setting) => setting.variable.length));
  return [
    "Environment variables (an option on the command line wins over its variable):",
    ...all.map((setting) => help.formatItem(setting.variable, width, variableHelp(setting), help)),
  ].join("\n");
}
