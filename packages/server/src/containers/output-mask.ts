import { Transform, type TransformCallback } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/** What `***` replaces: values shorter than this are left alone. */
const minMaskedLength = 4;

// A base64 character holds 6 bits, so where a value's bytes fall in a longer encoded blob
// (offset mod 3) changes its encoding; each alignment keeps a core of characters that depend on
// the value alone. Cores under 6 characters (36 bits) would turn up by chance in long base64 or
// hex output, so those are left out.
const minBase64CoreLength = 6;

function base64Forms(bytes: Buffer): string[] {
  const cores = [0, 1, 2].map((shift) => {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64url");
    return encoded.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + bytes.length)) / 6));
  });
  const url = [bytes.toString("base64url"), ...cores.filter((core) => core.length >= minBase64CoreLength)];
  const standard = url.map((form) => form.replaceAll("-", "+").replaceAll("_", "/"));
  return [bytes.toString("base64"), ...standard, ...url];
}

// Each value also as it appears escaped in JSON, line by line (a PEM key printed by a logger
// that splits or indents lines), in base64 and URL-encoded, as GitHub Actions masks them.
function forms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  // Decoded back, lone surrogates become U+FFFD as in the output, and encodeURIComponent no longer throws.
  const text = bytes.toString("utf8");
  return [
    value,
    JSON.stringify(value).slice(1, -1),
    ...value.split(/\r?\n/),
    ...base64Forms(bytes),
    encodeURIComponent(text),
    new URLSearchParams({ v: text }).toString().slice(2),
  ];
}

// Values of 1–3 characters ("1", "yes", "dev") occur everywhere: masking them would wipe the
// output without hiding anything an attacker could not guess, so they are never masked, in
// any form.
function maskable(values: readonly string[]): string[] {
  const long = values.filter((value) => value.length >= minMaskedLength);
  const unique = [...new Set(long.flatMap(forms))].filter((form) => form.length >= minMaskedLength);
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
  // Values by their first character, so that looking for a partial value at the end of a
  // chunk checks only those that could start there (there are about ten forms per value).
  readonly #starting = new Map<string, string[]>();
  readonly #longest: number;
  readonly #regex: RegExp | undefined;
  readonly #decoder = new StringDecoder("utf8");
  #held = "";

  constructor(values: readonly string[]) {
    super();
    const forms = maskable(values);
    for (const form of forms) {
      const same = this.#starting.get(form.charAt(0));
      if (same) same.push(form);
      else this.#starting.set(form.charAt(0), [form]);
    }
    this.#longest = forms[0]?.length ?? 0;
    this.#regex = pattern(forms);
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
    let cut = text.length;
    for (let start = Math.max(0, text.length - this.#longest + 1); start < text.length; start++) {
      const candidates = this.#starting.get(text.charAt(start)) ?? [];
      const tail = text.slice(start);
      if (candidates.some((value) => value.length > tail.length && value.startsWith(tail))) {
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
