export { baseEnvironment, findExecutable } from "./container-backend.js";
export { detectBackend } from "./container-detect.js";
export { createContainerPool, idleStopMs } from "./container-pool.js";
export { hostUser, sandboxFlags } from "./container-sandbox.js";
export type {
  ContainerBackendName,
  ContainerOutput,
  ContainerPool,
  ContainerPoolOptions,
  ContainerSpec,
} from "./container-types.js";
export { maskText, minMaskedLength, OutputMask } from "./output-mask.js";
