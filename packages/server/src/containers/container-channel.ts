import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { jsonLine, jsonLines } from "./json-lines.js";

/**
 * The host's end of a container's channel (its fd 3): JSON lines, not Node's IPC, whose parser
 * throws in the host on a malformed or internal message, which a container must not be able to
 * make. A container that breaks the protocol is said to, and its channel closed.
 */
interface ContainerChannel {
  /** True until the channel closes (the container exited, or broke the protocol). */
  readonly open: boolean;
  send(message: object): void;
  on(event: "message", listener: (message: unknown) => void): this;
  on(event: "violation", listener: (problem: string) => void): this;
  once(event: "message", listener: (message: unknown) => void): this;
}

const channels = new WeakMap<ChildProcess, ContainerChannel>();

/** The channel of `child`, spawned with a pipe on fd 3 (`spawnContainer`); one per child, however often asked. */
export function channelOf(child: ChildProcess): ContainerChannel {
  const known = channels.get(child);
  if (known) return known;
  const socket = child.stdio[3] as Socket | null | undefined;
  const events = new EventEmitter();
  let open = Boolean(socket);
  const close = () => {
    open = false;
    socket?.destroy();
  };
  const channel = Object.assign(events, {
    get open() {
      return open;
    },
    send(message: object) {
      if (open) socket?.write(jsonLine(message));
    },
  }) as unknown as ContainerChannel;
  const read = jsonLines(
    (message) => events.emit("message", message),
    (problem) => {
      close();
      events.emit("violation", problem);
    },
  );
  socket?.on("data", read);
  socket?.on("error", close); // EPIPE once the container is gone: it is closed, nothing more
  socket?.on("close", () => {
    open = false;
  });
  channels.set(child, channel);
  return channel;
}
