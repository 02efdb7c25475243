export * from "./container-markers.js";
export * from "./dotenv-parse.js";
export * from "./errors.js";
export * from "./file-rules.js";
export * from "./identity-rules.js";
export * from "./pages.js";
export * from "./rules.js";
