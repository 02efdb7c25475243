/** A one-line progress note on a terminal's stderr; silent when stderr is not a terminal. */
export function progress(stream: NodeJS.WriteStream = process.stderr) {
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let text = "";
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => stream.write(`\r\x1b[2K${frames[frame++ % frames.length]} ${text}`);
  return {
    /** Shows `next` in place of the previous note. */
    update(next: string) {
      if (!stream.isTTY) return;
      text = next;
      draw();
      timer ??= setInterval(draw, 80).unref();
    },
    /** Clears the line, before the command's own output. */
    done() {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      stream.write("\r\x1b[2K");
    },
  };
}
