import { tmpdir } from "node:os";
import { dirname } from "node:path";
import { InvalidError } from "../shared/errors.js";
import {
  type ContainerBackend,
  type ContainerLaunch,
  findExecutable,
  launchEnvironment,
  nodeCommand,
  spawnContainer,
} from "./container-backend.js";
import { descendantsOf } from "./process-tree.js";

/**
 * Why the `process` backend cannot start a container that takes `files`: without a mount
 * namespace they can be neither at their paths nor read-only.
 */
export function processFilesProblem(
  files: ContainerLaunch["files"],
  who = "This function",
): string | undefined {
  if (!files || files.length === 0) return undefined;
  const paths = files.map((file) => file.containerPath).join(", ");
  return `${who} takes files (${paths}), which only the sandbox backend can show, read-only, at their paths; functions here run as plain processes (LOCKBOX_CONTAINER=process, or no sandbox could start): install bubblewrap or use LOCKBOX_CONTAINER=sandbox`;
}

/** The `process` backend: a plain child process whose environment is the base plus the secrets. */
export function createProcessBackend(): ContainerBackend {
  const prlimit = findExecutable("prlimit");
  return {
    name: "process",
    strays: descendantsOf, // prlimit execs node: the child is the container's node
    failure: () => undefined,
    spawn(launch) {
      const problem = processFilesProblem(launch.files);
      if (problem) throw new InvalidError(problem);
      return spawnContainer(
        nodeCommand(dirname(launch.bundlePath), launch, prlimit),
        launchEnvironment(launch),
        { cwd: tmpdir() },
      );
    },
  };
}
