/** What `lockbox --help` shows after the commands: the variables, the profile file, examples. */
export const programHelp = `
Environment variables:
  LOCKBOX_HOME            data folder of embedded mode and of the profile file
                          (default ~/.lockbox)
  LOCKBOX_SERVER_URL      use this Lockbox server instead of the data folder
  LOCKBOX_TOKEN           the token for LOCKBOX_SERVER_URL
  LOCKBOX_ENVIRONMENT     environment when -e is not given (then the profile
                          file, then main)
  LOCKBOX_MASTER_KEY      master key (base64 of 32 bytes) instead of the data
                          folder's master.key
  LOCKBOX_CONTAINER       how functions run: sandbox (default, where bubblewrap
                          works) or process
  LOCKBOX_NO_MASK         1: show secret values in function output (--no-mask)
  LOCKBOX_BOOTSTRAP_TOKEN lockbox server: the admin token of an empty store
  LOCKBOX_DATABASE_URL    lockbox server: PostgreSQL to store everything in
                          (more in: lockbox server --help)
  LOCKBOX_MAX_CONTAINERS  lockbox server: containers of function calls at most
                          (default from cores and memory; also
                          LOCKBOX_MAX_QUEUED_CALLS: lockbox server --help)
  LOCKBOX_LOG_LEVEL       lockbox server: fatal, error, warn, info (default),
                          debug, trace or silent
  LOCKBOX_LOG_FORMAT      lockbox server: pretty (default on a terminal) or
                          json (default otherwise)

Profile file:
  $LOCKBOX_HOME/profile.json (default ~/.lockbox/profile.json), optional and
  written by hand: a JSON object whose one key names the default environment,
    {"environment": "staging"}
  The environment is -e, else LOCKBOX_ENVIRONMENT, else the profile, else main.

Examples:
  $ lockbox secret create secret-keys MY_PASSWORD=hunter2 API_KEY=-
  $ lockbox run app.ts::someFunction -- an-argument
  $ lockbox exec --secret secret-keys -- node server.js`;
