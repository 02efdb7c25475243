export { type ConfigSources, parseConfig } from "./config-parser.js";
export * from "./config-settings.js";
