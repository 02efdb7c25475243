import { describe, expect, it } from "vitest";
import { maskText, OutputMask } from "./output-mask.js";

async function through(values: string[], chunks: Array<string | Buffer>, gapMs = 0): Promise<string[]> {
  const mask = new OutputMask(values);
  const out: string[] = [];
  mask.on("data", (chunk: Buffer) => out.push(chunk.toString()));
  for (const chunk of chunks) {
    mask.write(chunk);
    if (gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  await new Promise((resolve) => mask.end(resolve));
  return out;
}

// URL-encoding changes it, and its base64 has both `+` or `/` and padding.
const canary = "p@ss w/rd+=?&";

describe("maskText", () => {
  it("replaces every occurrence of every value", () => {
    expect(maskText("a=hunter2 b=swordfish a=hunter2", ["hunter2", "swordfish"])).toBe("a=*** b=*** a=***");
  });

  it("masks the longest value first, so overlapping values are hidden whole", () => {
    expect(maskText("key=secret-long.", ["secret", "secret-long"])).toBe("key=***.");
    expect(maskText("abcdefgh", ["abcdef", "cdefgh"])).toBe("***gh");
  });

  it("leaves values shorter than 4 characters alone, and escapes regex characters", () => {
    expect(maskText("1 yes 1", ["1", "yes"])).toBe("1 yes 1");
    expect(maskText("x a.b*c(d) y", ["a.b*c(d)"])).toBe("x *** y");
    expect(maskText("axbxcxd", ["a.b.c.d"])).toBe("axbxcxd");
  });

  it("masks a value's base64, unpadded base64, base64url and URL-encoded forms", () => {
    const bytes = Buffer.from(canary);
    const printed = [
      bytes.toString("base64"),
      bytes.toString("base64").replace(/=+$/, ""),
      bytes.toString("base64url"),
      encodeURIComponent(canary),
      new URLSearchParams({ q: canary }).toString(),
    ];
    expect(new Set(printed).size).toBe(5);
    expect(maskText(printed.join("\n"), [canary])).toBe("***\n***\n***\n***\nq=***");
  });

  it("masks a value's base64 inside a longer blob at each alignment", () => {
    expect(maskText(`Basic ${Buffer.from(`admin:${canary}`).toString("base64")}`, [canary])).toBe(
      "Basic YWRtaW46***",
    );
    for (const before of ["", "a", "ab"]) {
      for (const after of ["", "b", "bc"]) {
        const blob = Buffer.from(before + canary + after).toString("base64");
        // Only the characters that also hold bits of the bytes around the value remain.
        expect(maskText(blob, [canary])).toMatch(/^[\w+/]{0,3}\*\*\*[\w+/]{0,4}=*$/);
      }
    }
  });

  it("leaves base64 fragments under 6 characters and other values' encodings alone", () => {
    expect(maskText("dGVzdA== dGVzd", ["test"])).toBe("*** dGVzd");
    const innocent = `id=${Buffer.from("p@ss w/rd+=?!").toString("base64")} q=p%40ss%20w%2Frd a=ZGV2 dev\n`;
    expect(maskText(innocent, [canary, "dev"])).toBe(innocent);
  });

  it("changes nothing without values", () => {
    expect(maskText("plain", [])).toBe("plain");
  });
});

describe("OutputMask", () => {
  it("masks a value split across chunks", async () => {
    expect((await through(["hunter2"], ["pw=hun", "ter2\n"])).join("")).toBe("pw=***\n");
    expect((await through(["hunter2"], ["pw=h", "u", "n", "t", "e", "r", "2!"])).join("")).toBe("pw=***!");
  });

  it("masks each encoded form split across two chunks at every offset", async () => {
    const bytes = Buffer.from(canary);
    for (const form of [bytes.toString("base64"), bytes.toString("base64url"), encodeURIComponent(canary)]) {
      for (let at = 1; at < form.length; at++) {
        const out = await through([canary], [`x=${form.slice(0, at)}`, `${form.slice(at)}\n`]);
        expect(out.join("")).toBe("x=***\n");
      }
    }
  });

  it("masks a value split inside a multi-byte character", async () => {
    const bytes = Buffer.from("pw=clé-secrète\n");
    const out = await through(["clé-secrète"], [bytes.subarray(0, 6), bytes.subarray(6)]);
    expect(out.join("")).toBe("pw=***\n");
  });

  it("writes at once what cannot start a value, and holds back only a possible start", async () => {
    const mask = new OutputMask(["hunter2"]);
    const out: string[] = [];
    mask.on("data", (chunk: Buffer) => out.push(chunk.toString()));
    mask.write("hello world\n");
    mask.write("pw=hunt");
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.join("")).toBe("hello world\npw=");
    mask.end();
  });

  it("masks a value written in two halves however long the pause between them", async () => {
    expect((await through(["hunter2"], ["pw=hunt", "er2\n"], 60)).join("")).toBe("pw=***\n");
    expect((await through(["hunter2"], ["pw=hunt"])).join("")).toBe("pw=hunt"); // the end writes what was held
  });

  it("masks a value as JSON escapes it and each line of a multi-line value", () => {
    const pem =
      "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END KEY-----";
    expect(maskText(JSON.stringify({ key: pem }), [pem])).toBe('{"key":"***"}');
    expect(maskText("  MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu", [pem])).toBe(
      "  ***",
    );
    expect(maskText('say "hi"', ['"hi"'])).toBe("say ***");
  });

  it("does not cut a shorter value that a longer one extends", async () => {
    expect((await through(["secret", "secret-long"], ["key=secret", "-long!"])).join("")).toBe("key=***!");
    expect((await through(["secret", "secret-long"], ["key=secret", "!"])).join("")).toBe("key=***!");
  });

  it("settles on demand", async () => {
    const mask = new OutputMask(["hunter2"]);
    const out: string[] = [];
    mask.on("data", (chunk: Buffer) => out.push(chunk.toString()));
    mask.write("pw=hunt");
    await new Promise((resolve) => setImmediate(resolve));
    mask.settle();
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.join("")).toBe("pw=hunt");
    mask.end();
  });

  it("passes text through when every value is too short to mask", async () => {
    expect((await through(["1", "ab"], ["a 1 ab"])).join("")).toBe("a 1 ab");
  });
});
