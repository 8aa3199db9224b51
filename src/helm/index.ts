export * from "./codec.js";
export * from "./hooks.js";
export * from "./keys.js";
export * from "./manifest.js";
export * from "./types.js";
