// The framing of the channel between a container and its host: one JSON message a line. Both
// sides read with it; the host, which must not trust the container, also bounds each line.

/** The largest message either side takes: a call's arguments or result, base64, with room. */
const messageMaxBytes = 48 * 1024 * 1024;

/**
 * Feeds `onMessage` each JSON line of the chunks given to the function it returns; calls
 * `onViolation` once (and nothing more after) for a line over `maxBytes` or one that is not JSON.
 */
export function jsonLines(
  onMessage: (message: unknown) => void,
  onViolation: (problem: string) => void,
  maxBytes = messageMaxBytes,
): (chunk: Buffer) => void {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let broken = false;
  const fail = (problem: string) => {
    broken = true;
    held = [];
    onViolation(problem);
  };
  return (chunk) => {
    let rest = chunk;
    for (let end = rest.indexOf(10); !broken && end >= 0; end = rest.indexOf(10)) {
      const line = Buffer.concat([...held, rest.subarray(0, end)]);
      held = [];
      heldBytes = 0;
      rest = rest.subarray(end + 1);
      if (line.length > maxBytes) return fail(`it sent a message over ${maxBytes} bytes`);
      let message: unknown;
      try {
        message = JSON.parse(line.toString("utf8"));
      } catch {
        return fail("it sent a message that is not JSON");
      }
      onMessage(message);
    }
    if (broken || rest.length === 0) return;
    heldBytes += rest.length;
    if (heldBytes > maxBytes) return fail(`it sent a message over ${maxBytes} bytes`);
    held.push(Buffer.from(rest));
  };
}

/** `message` as one line of the channel. */
export const jsonLine = (message: object): string => `${JSON.stringify(message)}\n`;
