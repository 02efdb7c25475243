import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliTarget, cliModes } from "../test-support/cli-modes.js";
import { tempDir } from "../test-support/run-cli.js";

const canary = "canary-7c1e-create-d93a";
const folder = tempDir("lockbox-cli-files-");
const files = folder.path;
afterAll(() => folder.remove());
const file = (name: string, text: string) => {
  const path = join(files, name);
  writeFileSync(path, text);
  return path;
};

describe.each(cliModes)("lockbox secret create ($name mode)", (mode) => {
  let lockbox: CliTarget;
  let counter = 0;
  const fresh = () => `create-${++counter}`;

  beforeAll(async () => {
    lockbox = await mode.start();
  });
  afterAll(() => lockbox.stop());

  const revealed = async (name: string) =>
    JSON.parse((await lockbox.run(["secret", "show", name, "--reveal", "--json"])).stdout).values;

  it("creates a secret and prints the keys and a TypeScript snippet", async () => {
    const name = fresh();
    const result = await lockbox.run(["secret", "create", name, `K1=${canary}`, "K2=a=b"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(
      [
        `Created a new secret '${name}' with the keys 'K1', 'K2'`,
        "",
        "Use it in your Lockbox app:",
        "",
        `app.function({ secrets: [Secret.fromName("${name}")] }, async () => {`,
        "  process.env.K1;",
        "  process.env.K2;",
        "});",
        "",
      ].join("\n"),
    );
    expect(await revealed(name)).toEqual({ K1: canary, K2: "a=b" });
  });

  it('says "key" for a single key', async () => {
    const name = fresh();
    const result = await lockbox.run(["secret", "create", name, "ONLY=1"]);
    expect(result.stdout).toMatch(new RegExp(`^Created a new secret '${name}' with the key 'ONLY'\n`));
  });

  it("reads KEY=- from standard input, without one trailing newline", async () => {
    const name = fresh();
    const result = await lockbox.run(["secret", "create", name, "PEM=-", "X=1"], {
      stdin: `line1\n${canary}\n`,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(canary);
    expect(await revealed(name)).toEqual({ PEM: `line1\n${canary}`, X: "1" });
  });

  it("merges arguments, then --from-dotenv, then --from-json", async () => {
    const name = fresh();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dotenv `${VAR}` reference, expanded by the CLI
    const dotenv = file(`${name}.env`, "A=from-dotenv\nB=from-dotenv\nC=${B}-expanded\n");
    const json = file(`${name}.json`, JSON.stringify({ B: "from-json" }));
    const args = ["secret", "create", name, "A=arg", "Z=arg", "--from-dotenv", dotenv, "--from-json", json];
    expect((await lockbox.run(args)).code).toBe(0);
    expect(await revealed(name)).toEqual({
      A: "from-dotenv",
      B: "from-json",
      C: "from-dotenv-expanded",
      Z: "arg",
    });
  });

  it("exits 2 on a key given twice as an argument, naming the key and neither value, and creates nothing", async () => {
    const name = fresh();
    const result = await lockbox.run(["secret", "create", name, `A=${canary}`, "B=1", `A=${canary}2`]);
    expect(result).toMatchObject({
      code: 2,
      stdout: "",
      stderr: "Error: Key 'A' is given twice: give each key once\n",
    });
    expect((await lockbox.run(["secret", "show", name])).code).toBe(1);
    // Across sources the documented order decides: an argument and a file may give the same key.
    const json = file(`${name}.json`, JSON.stringify({ A: "from-json" }));
    expect((await lockbox.run(["secret", "create", name, "A=arg", "--from-json", json])).code).toBe(0);
    expect(await revealed(name)).toEqual({ A: "from-json" });
  });

  it("exits 2 when no key is given", async () => {
    const result = await lockbox.run(["secret", "create", fresh()]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toBe("Error: You need to specify at least one key for your secret\n");
  });

  it("exits 2 on an argument without '=', explaining the form and never echoing it", async () => {
    const result = await lockbox.run(["secret", "create", fresh(), "A=1", canary]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "Each item should be of the form <KEY>=VALUE. To read a value from standard input",
    );
    expect(result.stderr).not.toContain(canary);
  });

  it("exits 2 on a JSON value that is not a string, naming the key only", async () => {
    const json = file(`${fresh()}.json`, JSON.stringify({ GOOD: "x", BAD: [canary] }));
    const result = await lockbox.run(["secret", "create", fresh(), "--from-json", json]);
    expect(result).toMatchObject({ code: 2, stderr: "Error: Non-string value for secret 'BAD'\n" });
  });

  it("exits 2 on a JSON file that does not parse, naming the file and not its contents", async () => {
    const json = file(`${fresh()}.json`, `{"A": ${canary}}`);
    const result = await lockbox.run(["secret", "create", fresh(), "--from-json", json]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^Error: Could not parse JSON file at ${json}: `));
    expect(result.stderr).not.toContain(canary);
  });

  it("exits 2 on files that cannot be read", async () => {
    const missing = join(files, "missing.json");
    const json = await lockbox.run(["secret", "create", fresh(), "--from-json", missing]);
    expect(json).toMatchObject({ code: 2, stderr: `Error: Could not read JSON file at ${missing}\n` });
    const dotenv = await lockbox.run(["secret", "create", fresh(), "--from-dotenv", files]);
    expect(dotenv).toMatchObject({ code: 2, stderr: `Error: Could not read .env file at ${files}\n` });
  });

  it.each([
    ["a line without '='", `OK=1\n\n# fine\n${canary}\n`, "line 4 is not KEY=VALUE"],
    ["a key assigned twice", `A=1\nB=2\nexport A='${canary}'\n`, "'A' is assigned twice, on lines 1 and 3"],
    [
      "an unclosed quote",
      `A="${canary}\nB=2\n`,
      `line 1: the value of 'A' opens a " quote that no line end closes`,
    ],
    ["an invalid key", `MY-KEY=${canary}\n`, "line 1: the key is not valid"],
    ["a '#' glued to a value", `P=${canary}#2\n`, "line 1: the value of 'P' has a '#' right after text"],
  ])("exits 2 on %s in a .env, naming the file and the line or key, creating nothing", async (_, text, message) => {
    const name = fresh();
    const path = file(`${name}.env`, text);
    const result = await lockbox.run(["secret", "create", name, "--from-dotenv", path]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr.startsWith(`Error: Could not parse .env file at ${path}: ${message}`)).toBe(true);
    expect(result.stderr.split("\n")).toHaveLength(2);
    expect(result.stderr).not.toContain(canary);
    expect((await lockbox.run(["secret", "show", name])).code).toBe(1);
  });

  it("reads the issue's lines as dotenv does, a reference to an earlier key expanded", async () => {
    const name = fresh();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dotenv `${VAR}` reference, expanded by the CLI
    const path = file(`${name}.env`, 'A="a\\tb"\nB="q\\"x"\nC=c\nD=${C}z\n');
    expect((await lockbox.run(["secret", "create", name, "--from-dotenv", path])).code).toBe(0);
    expect(await revealed(name)).toEqual({ A: "a\\tb", B: 'q\\"x', C: "c", D: "cz" });
  });

  it("exits 2 on an invalid key or secret name, without the value", async () => {
    const key = await lockbox.run(["secret", "create", fresh(), `BAD-KEY=${canary}`]);
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/^Error: Invalid key 'BAD-KEY'/);
    expect(key.stderr).not.toContain(canary);
    const name = await lockbox.run(["secret", "create", "bad name", `K=${canary}`]);
    expect(name.code).toBe(2);
    expect(name.stderr).toMatch(/^Error: .*Invalid secret name 'bad name'/);
  });

  it("exits 1 on an existing name, and replaces the secret with --force", async () => {
    const name = fresh();
    await lockbox.run(["secret", "create", name, "OLD=1"]);
    const again = await lockbox.run(["secret", "create", name, `NEW=${canary}`]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`Error: Secret '${name}' already exists in environment 'main'\n`);
    const forced = await lockbox.run(["secret", "create", name, "NEW=2", "--force"]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(new RegExp(`^Replaced secret '${name}': it now has the key 'NEW'\n`));
    expect(await revealed(name)).toEqual({ NEW: "2" });
  });

  it("creates in the environment given with -e", async () => {
    const name = fresh();
    expect((await lockbox.run(["environment", "create", "create-env"])).code).toBe(0);
    expect((await lockbox.run(["secret", "create", name, "A=1", "-e", "create-env"])).code).toBe(0);
    const list = await lockbox.run(["secret", "list", "--json", "-e", "create-env"]);
    expect(JSON.parse(list.stdout).map((secret: { name: string }) => secret.name)).toEqual([name]);
    const missing = await lockbox.run(["secret", "create", fresh(), "A=1", "-e", "nowhere"]);
    expect(missing).toMatchObject({ code: 1, stderr: "Error: Environment 'nowhere' not found\n" });
  });

  it("never lets the canary into the server's logs", () => {
    expect(lockbox.serverOutput()).not.toContain(canary);
  });
});
