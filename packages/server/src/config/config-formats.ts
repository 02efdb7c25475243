import type { z as zod } from "zod";
import { durationSeconds, environmentNameProblem, limits } from "../shared/rules.js";

type Zod = typeof zod;

/**
 * How a setting is written and what it becomes. zod comes in as an argument: `lockbox --help`
 * lists the settings without loading it (about 50 ms).
 */
export interface Format<T> {
  /** What is allowed, in words, for help and for the error naming a bad value. */
  allowed: string;
  /** The schema of a value: text from a variable or an option, or the value itself from a program. */
  schema(z: Zod): zod.ZodType<T>;
}

const digits = /^\d+$/;

/** A whole number in [min, max]. */
export function wholeNumber(min: number, max: number): Format<number> {
  return {
    allowed: `a whole number from ${min} to ${max}`,
    schema: (z) =>
      z.union([z.int(), z.string().regex(digits).transform(Number)]).pipe(z.int().min(min).max(max)),
  };
}

/** A duration: a whole number and a unit (`90s`, `30m`, `12h`, `7d`), or seconds from a program. */
export function duration(maxDays: number): Format<number> {
  const maxSeconds = maxDays * 24 * 60 * 60;
  return {
    allowed: `a duration such as 90s, 30m, 12h or 7d, at most ${maxDays}d`,
    schema: (z) =>
      z
        .union([
          z.int(),
          z
            .string()
            .regex(/^\d+[smhd]$/)
            .transform((text) => durationSeconds(text) as number),
        ])
        .pipe(z.int().min(1).max(maxSeconds)),
  };
}

/** One of `values`. */
export function oneOf<const V extends readonly [string, ...string[]]>(values: V): Format<V[number]> {
  return {
    allowed: values.length === 1 ? values[0] : `${values.slice(0, -1).join(", ")} or ${values.at(-1)}`,
    schema: (z) => z.enum(values),
  };
}

/** Any text (an empty variable counts as unset), of at least `minLength` characters. */
export function text(minLength = 1): Format<string> {
  return {
    allowed: minLength > 1 ? `at least ${minLength} characters` : "some text",
    schema: (z) => z.string().min(minLength),
  };
}

export const postgresUrl: Format<string> = {
  allowed: "a postgres:// or postgresql:// URL",
  schema: (z) => z.string().regex(/^postgres(ql)?:\/\/\S+$/),
};

export const httpUrl: Format<string> = {
  allowed: "an http:// or https:// URL",
  schema: (z) => z.url({ protocol: /^https?$/ }),
};

/** On or off: `1` or `true`, `0` or `false`. */
export const flag: Format<boolean> = {
  allowed: "1, true, 0 or false",
  schema: (z) =>
    z.union([
      z.boolean(),
      z.enum(["1", "true", "0", "false"]).transform((on) => on === "1" || on === "true"),
    ]),
};

export const environmentName: Format<string> = {
  allowed: `an environment name: letters, digits, '.', '-' and '_', starting with a letter or digit, at most ${limits.nameMaxLength} characters`,
  schema: (z) => z.string().refine((name) => environmentNameProblem(name) === undefined),
};

// The ranges Fastify's proxy-addr knows by name.
const namedRanges = ["loopback", "linklocal", "uniquelocal"] as const;

/**
 * Proxies to trust: addresses and CIDR ranges, comma-separated, or the ranges named above.
 * Never every address (`true`, a `/0`), nor a hop count: with either, any client that reaches
 * the server directly could name its own address in `X-Forwarded-For`.
 */
export const trustedProxies: Format<string[]> = {
  allowed: `addresses or CIDR ranges, comma-separated (as 10.0.0.0/8,192.0.2.7), or ${namedRanges.join(", ")}`,
  schema: (z) => {
    const range = z.union([z.cidrv4(), z.cidrv6()]).refine((cidr) => !cidr.endsWith("/0"));
    const proxy = z.union([z.enum(namedRanges), z.ipv4(), z.ipv6(), range]);
    const list = z.array(proxy).min(1);
    return z.union([
      list,
      z
        .string()
        .transform((given) => given.split(",").map((part) => part.trim()))
        .pipe(list),
    ]);
  },
};
