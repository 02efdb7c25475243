export { baseEnvironment, findExecutable, limited } from "./container-backend.js";
export { detectBackend } from "./container-detect.js";
export { createContainerPool } from "./container-pool.js";
export { hostUser, sandboxFlags } from "./container-sandbox.js";
export type {
  ContainerBackendName,
  ContainerOutput,
  ContainerPool,
  ContainerPoolOptions,
  ContainerSpec,
} from "./container-types.js";
export { OutputMask } from "./output-mask.js";
