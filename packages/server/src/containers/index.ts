export { baseEnvironment, findExecutable, limited } from "./container-backend.js";
export { defaultMaxContainers, defaultMaxQueuedCalls } from "./container-capacity.js";
export { detectBackend } from "./container-detect.js";
export { writeContainerFolder } from "./container-folder.js";
export { createContainerPool } from "./container-pool.js";
export { processFilesProblem } from "./container-process.js";
export { spawnSandboxed } from "./container-sandbox.js";
export type {
  ContainerBackendName,
  ContainerOutput,
  ContainerPool,
  ContainerPoolOptions,
  ContainerPoolStats,
  ContainerSpec,
  FileMount,
} from "./container-types.js";
export {
  createDeployedBundles,
  type DeployedBundle,
  type DeployedBundles,
  type WrittenBundle,
} from "./deployed-bundles.js";
export { functionContents } from "./deployed-files.js";
export { type FileEntry, fileRoots, writeFileTree } from "./file-tree.js";
export { maskText, OutputMask } from "./output-mask.js";
