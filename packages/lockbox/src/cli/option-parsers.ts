import { InvalidArgumentError, Option } from "commander";

/** A commander parser for a whole number in [min, max]; anything else is a usage error. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    }
    return value;
  };
}

/** `-e, --env NAME`, shared by the commands that work inside one environment. */
export function environmentOption(): Option {
  return new Option(
    "-e, --env <name>",
    "environment to use (default: LOCKBOX_ENVIRONMENT, then the profile file $LOCKBOX_HOME/profile.json, then main)",
  );
}

/** A commander parser for a repeatable option: every occurrence, in order. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

const secondsPerUnit = { s: 1, m: 60, h: 60 * 60 } as const;

/** A commander parser for a duration in seconds (`90s`, `15m`, `1h`, or plain seconds) from `min` to `max`. */
export function durationSeconds(min: number, max: number) {
  return (text: string): number => {
    const match = /^(\d+)([smh]?)$/.exec(text);
    const unit = (match?.[2] || "s") as keyof typeof secondsPerUnit;
    const seconds = match ? Number(match[1]) * secondsPerUnit[unit] : Number.NaN;
    if (!(seconds >= min && seconds <= max)) {
      throw new InvalidArgumentError(`Expected a duration such as 90s, 15m or 1h, from ${min}s to ${max}s.`);
    }
    return seconds;
  };
}
