import { tmpdir } from "node:os";
import { dirname } from "node:path";
import {
  type ContainerBackend,
  findExecutable,
  launchEnvironment,
  nodeCommand,
  spawnContainer,
} from "./container-backend.js";
import { descendantsOf } from "./process-tree.js";

/** The `process` backend: a plain child process whose environment is the base plus the secrets. */
export function createProcessBackend(): ContainerBackend {
  const prlimit = findExecutable("prlimit");
  return {
    name: "process",
    strays: descendantsOf, // prlimit execs node: the child is the container's node
    failure: () => undefined,
    spawn: (launch) =>
      spawnContainer(nodeCommand(dirname(launch.bundlePath), launch, prlimit), launchEnvironment(launch), {
        cwd: tmpdir(),
      }),
  };
}
