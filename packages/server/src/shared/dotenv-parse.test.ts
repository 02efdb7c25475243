// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the .env syntax under test
import { describe, expect, it } from "vitest";
import { parseDotenv } from "./dotenv-parse.js";
import { InvalidError } from "./errors.js";

const read = (text: string) => Object.fromEntries(parseDotenv(text));
const problem = (text: string) => {
  try {
    parseDotenv(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidError);
    return (error as Error).message;
  }
  throw new Error("parsed");
};

describe("parseDotenv", () => {
  it("reads the issue's three lines as dotenv does, expanding ${C} from the line before", () => {
    expect(parseDotenv('A="a\\tb"\nB="q\\"x"\nC=c\nD=${C}z\n')).toEqual([
      ["A", "a\\tb"],
      ["B", 'q\\"x'],
      ["C", "c"],
      ["D", "cz"],
    ]);
  });

  it("reads comments, export, `KEY: value`, every quote and a value over several lines", () => {
    const text =
      "# a comment\n\nexport A=1 # one\nB : x\nC: two words \nD='say \"hi\"'\nE=`it's`\nF=\"l1\\nl2\"\nPEM='-----BEGIN-----\nabc\n-----END-----'\nG=\n";
    expect(() => read(text)).toThrow("line 4 is not KEY=VALUE");
    expect(read(text.replace("B : x\n", ""))).toEqual({
      A: "1",
      C: "two words",
      D: 'say "hi"',
      E: "it's",
      F: "l1\nl2",
      PEM: "-----BEGIN-----\nabc\n-----END-----",
      G: "",
    });
  });

  it("refuses a line without '=', naming the line and not its text", () => {
    expect(problem("A=1\n\n# fine\nhunter2\n")).toBe("line 4 is not KEY=VALUE");
    expect(problem("export\nA=1")).toBe("line 1 is not KEY=VALUE");
    expect(problem("A=1\r\nKEY:\r\nB=2")).toBe("line 2 is not KEY=VALUE");
    expect(problem("A=\n'hunter2'\n")).toBe("line 2 is not KEY=VALUE");
  });

  it("refuses a key the rules refuse, without echoing it", () => {
    expect(problem("OK=1\nsk-live-token=x\n")).toBe(
      "line 2: the key is not valid: keys contain only letters, digits and '_', and do not start with a digit",
    );
  });

  it("refuses a key assigned twice, naming it and both lines", () => {
    expect(problem("A=1\nB=2\nexport A='3'\n")).toBe("'A' is assigned twice, on lines 1 and 3");
  });

  it("refuses an unclosed quote, text after a closing quote and a '#' glued to an unquoted value", () => {
    expect(problem('A=1\nB="hunter2\nC=3\n')).toBe(
      `line 2: the value of 'B' opens a " quote that no line end closes`,
    );
    expect(problem("B='hunter2' 2\n")).toBe("line 1: the value of 'B' has text after its closing '");
    expect(problem("P=hunter#2\n")).toBe(
      "line 1: the value of 'P' has a '#' right after text: quote the value (a comment needs a space before its '#')",
    );
    expect(problem("COLOR=#fff\n")).toMatch(/^line 1: the value of 'COLOR' has a '#'/);
    expect(read("P='hunter#2' # comment\nQ=a # b\nR= # empty\n")).toEqual({ P: "hunter#2", Q: "a", R: "" });
  });

  it("asks `lookup` only for variables no earlier line assigns", () => {
    const asked: string[] = [];
    const lookup = (name: string) => {
      asked.push(name);
      return name === "HOST" ? "db" : undefined;
    };
    const pairs = parseDotenv("U=app\nURL=${U}@${HOST}/${DB:-main}\nRAW='${U}'\n", { lookup });
    expect(pairs).toEqual([
      ["U", "app"],
      ["URL", "app@db/main"],
      ["RAW", "${U}"],
    ]);
    expect(asked).toEqual(["HOST", "DB"]);
  });
});
