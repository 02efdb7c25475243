import { chmodSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidError, limits } from "@lockbox/server/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../test-support/run-cli.js";
import { useTempHome } from "../test-support/sdk-home.js";
import { userProject } from "../test-support/user-module.js";
import { App } from "./app.js";
import { clientApi } from "./client.js";
import { listLocalFiles } from "./function-files.js";
import { deployFile, type StartedRun, startRun } from "./runner.js";
import { Secret } from "./secret.js";

const userModule = `
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { App, Secret } from "lockbox";

const app = new App("with-files");
const attempt = (write: () => void) => {
  try {
    write();
    return "written";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
};
const exists = (path: string) => attempt(() => statSync(path)) === "written";

export const readOne = app.function({ files: { "/data/words.txt": "./words.txt" } }, async () => ({
  words: readFileSync("/data/words.txt", "utf8"),
  cwd: process.cwd(),
  seesOtherFunctionsFiles: exists("/app/assets"),
  beside: attempt(() => readFileSync("./words.txt")),
}));

export const readFolder = app.function(
  { secrets: [Secret.fromName("keys")], files: { "/app/assets": "../assets", "/opt/tool.sh": "../tool.sh" } },
  async () => ({
    top: readdirSync("/app/assets").sort(),
    nested: readFileSync("/app/assets/deep/inner.json", "utf8"),
    toolMode: statSync("/opt/tool.sh").mode & 0o777,
    secretIsAVariable: process.env.KEY === "fixture-files-key",
  }),
);

export const tryWrites = app.function(
  { files: { "/data/words.txt": "./words.txt", "/app/assets": "../assets" } },
  async () => ({
    overwrite: attempt(() => writeFileSync("/data/words.txt", "changed")),
    append: attempt(() => writeFileSync("/app/assets/deep/inner.json", "x", { flag: "a" })),
    create: attempt(() => writeFileSync("/app/assets/new.txt", "new")),
    createBeside: attempt(() => writeFileSync("/data/new.txt", "new")),
    mkdir: attempt(() => mkdirSync("/app/assets/newdir")),
    words: readFileSync("/data/words.txt", "utf8"),
  }),
);

export const plain = app.function(async () => "no files");
`;

const project = () =>
  userProject({
    "src/app.ts": userModule,
    "src/words.txt": "alpha beta gamma\n",
    "assets/logo.txt": "logo",
    "assets/deep/inner.json": '{"inner":true}',
    "tool.sh": "#!/bin/sh\necho tool\n",
  });

/** The project's run on `backend`, its secret stored, for the tests of one block. */
function useProjectRun(backend: "sandbox" | "process"): {
  files: ReturnType<typeof userProject>;
  run: StartedRun;
} {
  const state = {} as { files: ReturnType<typeof userProject>; run: StartedRun };
  let home: ReturnType<typeof useTempHome>;
  beforeAll(async () => {
    home = useTempHome();
    process.env.LOCKBOX_CONTAINER = backend;
    state.files = project();
    chmodSync(join(state.files.path, "tool.sh"), 0o755);
    await Secret.objects.create("keys", { KEY: "fixture-files-key" });
    state.run = await startRun({ entryFile: join(state.files.path, "src", "app.ts") });
  });
  afterAll(async () => {
    await state.run?.stop();
    state.files?.remove();
    delete process.env.LOCKBOX_CONTAINER;
    await home.restore();
  });
  return state;
}

describe("a function's files, in the sandbox", () => {
  const projectRun = useProjectRun("sandbox");

  it("reads a file it was given at its path; the working directory is /tmp, where nothing else is", async () => {
    const result = await projectRun.run.findFunction("readOne")?.remote();
    expect(result).toEqual({
      words: "alpha beta gamma\n",
      cwd: "/tmp",
      seesOtherFunctionsFiles: false,
      beside: "ENOENT",
    });
  });

  it("reads inside a folder it was given, with the executable bit kept and secrets still variables", async () => {
    expect(await projectRun.run.findFunction("readFolder")?.remote()).toEqual({
      top: ["deep", "logo.txt"],
      nested: '{"inner":true}',
      toolMode: 0o755,
      secretIsAVariable: true,
    });
  });

  it("cannot change, add or create anything there, and the host's files stay as they were", async () => {
    const result = (await projectRun.run.findFunction("tryWrites")?.remote()) as Record<string, string>;
    const { words, ...writes } = result;
    // A read-only mount (EROFS), or a file the sandbox's user may not write in the first place (EACCES).
    for (const [what, code] of Object.entries(writes))
      expect([what, ["EROFS", "EACCES"].includes(code)]).toEqual([what, true]);
    expect(words).toBe("alpha beta gamma\n");
    expect(readFileSync(join(projectRun.files.path, "src", "words.txt"), "utf8")).toBe("alpha beta gamma\n");
    expect(readFileSync(join(projectRun.files.path, "assets", "deep", "inner.json"), "utf8")).toBe(
      '{"inner":true}',
    );
  });
});

describe("a function's files, as plain processes", () => {
  const projectRun = useProjectRun("process");

  it("refuses a function that takes files, before its secrets are read, and runs the others", async () => {
    const error = await projectRun.run
      .findFunction("readFolder")
      ?.remote()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidError);
    expect((error as Error).message).toContain(
      "Function 'readFolder' takes files (/app/assets, /opt/tool.sh)",
    );
    expect((error as Error).message).toContain("only the sandbox backend");
    const starts = (await (await clientApi()).audit.list({})).filter((e) => e.action === "container.start");
    expect(starts).toEqual([]);
    expect(await projectRun.run.findFunction("plain")?.remote()).toBe("no files");
  });
});

describe("the files option, checked", () => {
  const app = new App("file-checks");
  const define = (files: unknown) => () => app.function({ files: files as Record<string, string> }, () => 0);

  it("takes absolute container paths outside the container's own folders", () => {
    expect(() => define({ "/data/x.txt": "./x.txt", "/srv/models": "/abs/models" })()).not.toThrow();
    expect(() =>
      define({ "/data": "./d", "/data-b": "./b", "/usr2/x": "./x", "/tmpfiles": "./t" })(),
    ).not.toThrow();
  });

  it.each([
    ["data/x.txt", "must be an absolute path such as /data/input.txt"],
    ["/data/../etc/passwd", "must be an absolute path"],
    ["/data/./x", "must be an absolute path"],
    ["/data//x", "must be an absolute path"],
    ["/data/", "must be an absolute path"],
    ["/", "must be an absolute path"],
    ["/etc/app.conf", "would cover the container's own /etc"],
    ["/tmp/x", "would cover the container's own /tmp"],
    ["/lockbox/app.mjs", "would cover the container's own /lockbox"],
    ["/usr", "would cover the container's own /usr"],
    ["/data/a\nb", "contains a control character"],
  ])("refuses the container path %j", (path, message) => {
    expect(define({ [path]: "./x.txt" })).toThrow(InvalidError);
    expect(define({ [path]: "./x.txt" })).toThrow(message);
  });

  it("refuses overlapping paths, a non-object and an empty local path", () => {
    expect(define({ "/data": "./d", "/data/x.txt": "./x" })).toThrow(
      "The `files` paths '/data' and '/data/x.txt' overlap",
    );
    expect(define(["./x.txt"])).toThrow(
      '`files` must be an object of "/container/path": "./local/path" pairs',
    );
    expect(define({ "/data/x": "" })).toThrow(
      "The local path for '/data/x' in `files` must be a non-empty string",
    );
  });

  it("fails the run before anything runs when a local file is missing, naming it", async () => {
    const home = useTempHome();
    process.env.LOCKBOX_CONTAINER = "sandbox";
    const missing = userProject({
      "app.ts": `import { App } from "lockbox";
export const f = new App().function({ files: { "/data/x.txt": "./nowhere.txt" } }, async () => 0);
export const main = new App().localEntrypoint(async () => 0);`,
    });
    try {
      const error = await startRun({ entryFile: join(missing.path, "app.ts") }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidError);
      expect((error as Error).message).toBe(
        `Function 'f' takes './nowhere.txt' (${join(missing.path, "nowhere.txt")}), which does not exist`,
      );
    } finally {
      missing.remove();
      delete process.env.LOCKBOX_CONTAINER;
      await home.restore();
    }
  });

  it("refuses more bytes or more files than the limits", async () => {
    const dir = tempDir("lockbox-files-limits-");
    try {
      writeFileSync(join(dir.path, "big.bin"), "");
      truncateSync(join(dir.path, "big.bin"), limits.filesMaxBytes + 1); // sparse: no disk used
      await expect(listLocalFiles({ "/data/big.bin": "big.bin" }, dir.path, "Function 'f'")).rejects.toThrow(
        "Function 'f' takes more than 33,554,432 bytes (32 MiB): give fewer or smaller files",
      );
      mkdirSync(join(dir.path, "empty"));
      const many = Object.fromEntries(
        Array.from({ length: limits.filesMaxCount + 1 }, (_, i) => [`/data/${i}`, "empty"]),
      );
      await expect(listLocalFiles(many, dir.path, "Function 'f'")).rejects.toThrow(
        "Function 'f' takes more than 1,000 files and folders",
      );
    } finally {
      dir.remove();
    }
  });

  it("refuses a deploy whose functions' files come over the limit together, each within it", async () => {
    const home = useTempHome();
    const big = userProject({
      "app.ts": `import { App } from "lockbox";
const app = new App("big-files");
export const f = app.function({ files: { "/data/a.bin": "./a.bin" } }, async () => 0);
export const g = app.function({ files: { "/data/b.bin": "./b.bin" } }, async () => 0);`,
      "a.bin": "",
      "b.bin": "",
    });
    try {
      // Sparse and of different sizes: two contents, each a little over half the limit.
      truncateSync(join(big.path, "a.bin"), limits.filesMaxBytes / 2 + 1);
      truncateSync(join(big.path, "b.bin"), limits.filesMaxBytes / 2 + 2);
      await expect(deployFile({ entryFile: join(big.path, "app.ts") })).rejects.toThrow(
        "The functions of app 'big-files' take more than 33,554,432 bytes (32 MiB) of files together, the most a deploy carries",
      );
      expect(await (await clientApi()).apps.list({ environment: "main" })).toEqual([]);
    } finally {
      big.remove();
      await home.restore();
    }
  });
});
