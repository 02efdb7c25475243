// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the .env syntax under test
import fc from "fast-check";
import { limits } from "../shared/rules.js";

// fast-check arbitraries for hostile input, shared by the property tests of both packages.

/** Valid keys that name `Object.prototype` members: a plain `object[key] = value` loses or bends them. */
export const prototypeKeys = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "__defineGetter__",
] as const;

/** Keys DESIGN.md §5 allows: short ones, `Object.prototype` names, and some of the longest. */
export const validKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,24}$/) },
  { weight: 2, arbitrary: fc.constantFrom(...prototypeKeys) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: limits.keyMaxLength - 3, max: limits.keyMaxLength })
      .map((length) => `K${"_".repeat(length - 1)}`),
  },
);

/** Pieces that mean something to a shell, a `.env` parser, JSON or a terminal. */
const hostileFragments = [
  "$(touch /tmp/lockbox-property-pwned)",
  "`touch /tmp/lockbox-property-pwned`",
  "${HOME}",
  "${LOCKBOX_PROPERTY_VAR}",
  "${LOCKBOX_PROPERTY_VAR:-fallback}",
  "$HOME",
  "$",
  "{",
  "}",
  "'",
  '"',
  "`",
  "\\",
  "\\n",
  "\\r",
  "\\'",
  '\\"',
  "#",
  " # not a comment",
  "=",
  "export X=1",
  "\n",
  "\r",
  "\r\n",
  "\t",
  " ",
  "\u2028",
  "\u2029",
  "\u00a0",
  "\ufeff",
  "\u001b[31m",
  "é",
  "😀",
  "\u0301",
  "A=1\nB=2",
  '{"json": true}',
];

/** Well-formed text (no lone surrogate, no NUL), as a file written in UTF-8 keeps it. */
const wellFormedText: fc.Arbitrary<string> = fc.string({ unit: "grapheme", maxLength: 40 });

/** Values DESIGN.md §5 allows, rich in quotes, `$`, `#`, backslashes, line breaks and unicode. */
export const validValue: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.array(fc.oneof(fc.constantFrom(...hostileFragments), wellFormedText)).map(join),
  },
  { weight: 2, arbitrary: wellFormedText },
  { weight: 1, arbitrary: fc.constant("") },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...hostileFragments), fc.integer({ min: 1, max: 64 }))
      .map(([fragment, count]) => fragment.repeat(count).slice(0, limits.valueMaxLength)),
  },
);

/**
 * Any JavaScript string without NUL, lone surrogates included: JSON carries them (escaped), a
 * UTF-8 file does not.
 */
export const anyStringValue: fc.Arbitrary<string> = fc
  .string({
    unit: fc.oneof(
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
      fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
    ),
    maxLength: 40,
  })
  .map((text) => text.replaceAll("\0", ""));

function join(parts: string[]): string {
  return parts.join("");
}

/** Key/value records of valid keys and values, built with own properties (`__proto__` included). */
export function validValues(options: { maxKeys?: number; value?: fc.Arbitrary<string> } = {}) {
  return fc
    .uniqueArray(fc.tuple(validKey, options.value ?? validValue), {
      selector: ([key]) => key,
      maxLength: options.maxKeys ?? 8,
    })
    .map((entries) => Object.fromEntries(entries) as Record<string, string>);
}

/** A value no message may show: it starts with `marker`, so any echo of it is found. */
export function markedValue(marker: string): fc.Arbitrary<string> {
  return fc.string({ unit: "binary", maxLength: 30 }).map((text) => `${marker}${text}`);
}
