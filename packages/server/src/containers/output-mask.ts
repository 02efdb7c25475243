import { Transform, type TransformCallback } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/** What `***` replaces: values shorter than this are left alone. */
export const minMaskedLength = 4;

// Values of 1–3 characters ("1", "yes", "dev") occur everywhere: masking them would wipe the
// output without hiding anything an attacker could not guess, so they are never masked.
function maskable(values: readonly string[]): string[] {
  // Each value also as it appears escaped in JSON, and line by line (a PEM key printed by a
  // logger that splits or indents lines).
  const forms = values.flatMap((value) => [
    value,
    JSON.stringify(value).slice(1, -1),
    ...value.split(/\r?\n/),
  ]);
  const unique = [...new Set(forms)].filter((value) => value.length >= minMaskedLength);
  // Longest first, so a value that contains or extends another is masked whole.
  return unique.sort((a, b) => b.length - a.length);
}

function pattern(values: readonly string[]): RegExp | undefined {
  if (values.length === 0) return undefined;
  return new RegExp(values.map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
}

/** `text` with every value (of at least 4 characters) replaced by `***`. */
export function maskText(text: string, values: readonly string[]): string {
  const regex = pattern(maskable(values));
  return regex ? text.replace(regex, "***") : text;
}

/** A stream that replaces secret values by `***`, even when a value is split across chunks. */
export class OutputMask extends Transform {
  readonly #values: string[];
  readonly #regex: RegExp | undefined;
  readonly #decoder = new StringDecoder("utf8");
  #held = "";

  constructor(values: readonly string[]) {
    super();
    this.#values = maskable(values);
    this.#regex = pattern(this.#values);
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const text = this.#held + (typeof chunk === "string" ? chunk : this.#decoder.write(chunk));
    const { ready, held } = this.#split(text);
    // What could be the start of a value waits for more output, however long that takes: a
    // timer would let a value written in two slow halves through unmasked.
    this.#held = held;
    if (ready) this.push(ready);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.#held += this.#decoder.end();
    this.settle();
    callback();
  }

  /** Writes out what is held back, as if no more output were coming (the stream ended, or a call). */
  settle(): void {
    const text = this.#held;
    this.#held = "";
    if (text) this.push(this.#regex ? text.replace(this.#regex, "***") : text);
  }

  // Masks what can no longer change and holds the rest: the text from the first position where
  // what has arrived so far is the start of a value that more output could complete.
  #split(text: string): { ready: string; held: string } {
    const regex = this.#regex;
    if (!regex) return { ready: text, held: "" };
    const longest = this.#values[0]?.length ?? 0;
    let cut = text.length;
    for (let start = Math.max(0, text.length - longest + 1); start < text.length; start++) {
      const tail = text.slice(start);
      if (this.#values.some((value) => value.length > tail.length && value.startsWith(tail))) {
        cut = start;
        break;
      }
    }
    let ready = "";
    let end = 0;
    regex.lastIndex = 0;
    for (let match = regex.exec(text); match && match.index < cut; match = regex.exec(text)) {
      ready += `${text.slice(end, match.index)}***`;
      end = match.index + match[0].length;
    }
    const settled = Math.max(cut, end);
    return { ready: ready + text.slice(end, settled), held: text.slice(settled) };
  }
}
