export * from "./container-markers.js";
export * from "./errors.js";
export * from "./rules.js";
