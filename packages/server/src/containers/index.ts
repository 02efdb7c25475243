// `@lockbox/server/containers`: what the SDK and CLI use of the container runtime, and no more.
export { writeContainerFolder } from "./container-folder.js";
export { createContainerPool } from "./container-pool.js";
export { processFilesProblem } from "./container-process.js";
export type { ContainerBackendName, ContainerPool, ContainerSpec, FileMount } from "./container-types.js";
export { createDeployedBundles, type DeployedBundle } from "./deployed-bundles.js";
export { writeFileTree } from "./file-tree.js";
export { maskText, OutputMask } from "./output-mask.js";
