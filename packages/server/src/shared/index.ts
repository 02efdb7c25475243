export * from "./errors.js";
export * from "./rules.js";
