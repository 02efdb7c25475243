import { tmpdir } from "node:os";
import {
  baseEnvironment,
  type ContainerBackend,
  findExecutable,
  nodeCommand,
  spawnContainer,
} from "./container-backend.js";

/** The `process` backend: a plain child process whose environment is the base plus the secrets. */
export function createProcessBackend(): ContainerBackend {
  const prlimit = findExecutable("prlimit");
  return {
    name: "process",
    spawn(spec) {
      const env = { ...baseEnvironment(), ...spec.env };
      return spawnContainer(nodeCommand(spec, prlimit), env, { cwd: tmpdir() });
    },
  };
}
