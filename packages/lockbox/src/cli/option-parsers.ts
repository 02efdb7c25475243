import { durationSeconds as durationOf } from "@lockbox/server/shared";
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

/** A commander parser for a duration in seconds (`90s`, `15m`, `1h`, or plain seconds) from `min` to `max`. */
export function durationSeconds(min: number, max: number) {
  return (text: string): number => {
    const seconds = durationOf(/^\d+$/.test(text) ? `${text}s` : text) ?? Number.NaN;
    if (!(seconds >= min && seconds <= max)) {
      throw new InvalidArgumentError(`Expected a duration such as 90s, 15m or 1h, from ${min}s to ${max}s.`);
    }
    return seconds;
  };
}
