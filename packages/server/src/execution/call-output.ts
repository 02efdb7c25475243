/** A call's output kept for its answer at most: more is cut, and the cut is said. */
const outputMaxBytes = 1024 * 1024;

/** Collects a call's (already masked) stdout and stderr, in the order written, up to `outputMaxBytes`. */
export function createOutputCollector() {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let cut = false;
  let open = true;
  return {
    add(chunk: Buffer): void {
      if (!open || cut) return;
      const room = outputMaxBytes - bytes;
      if (chunk.length > room) cut = true;
      const kept = cut ? chunk.subarray(0, room) : chunk;
      chunks.push(kept);
      bytes += kept.length;
    },
    /** The text so far; nothing written later is kept. */
    close(): string {
      open = false;
      const text = Buffer.concat(chunks).toString("utf8");
      return cut ? `${text}\n[output cut at ${outputMaxBytes} bytes]\n` : text;
    },
  };
}
