import { variablesHelp } from "./setting-options.js";

/** What `lockbox --help` shows after the commands: the variables, the profile file, examples. */
export const programHelp = () => `
${variablesHelp()}

Profile file:
  $LOCKBOX_HOME/profile.json (default ~/.lockbox/profile.json), optional and
  written by hand: a JSON object whose one key names the default environment,
    {"environment": "staging"}
  The environment is -e, else LOCKBOX_ENVIRONMENT, else the profile, else main.

Examples:
  $ lockbox secret create secret-keys MY_PASSWORD=hunter2 API_KEY=-
  $ lockbox run app.ts::someFunction -- an-argument
  $ lockbox exec --secret secret-keys -- node server.js`;
