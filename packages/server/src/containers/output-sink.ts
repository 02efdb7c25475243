import type { Readable, Writable } from "node:stream";

/** One caller stream that many containers write to. */
export interface OutputSink {
  /** Forwards `source` as it arrives, pausing it while the target is full. */
  attach(source: Readable): void;
  /** Stops listening to the target. */
  detach(): void;
}

// `pipe` adds four listeners to the target per source: a pool of many containers writing to
// one `process.stdout` would trip Node's leak warning. One shared `drain` listener does instead.
export function createOutputSink(target: Writable): OutputSink {
  const paused = new Set<Readable>();
  const resume = () => {
    for (const source of paused) source.resume();
    paused.clear();
  };
  target.on("drain", resume);
  return {
    attach(source) {
      source.on("data", (chunk: Buffer | string) => {
        if (target.writable && !target.write(chunk)) {
          source.pause();
          paused.add(source);
        }
      });
      source.once("close", () => paused.delete(source));
    },
    detach: () => target.off("drain", resume),
  };
}
