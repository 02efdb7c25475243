import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The README's "Use Lockbox in your project", as a user follows it: `npm run pack` here, then a
// new project outside the repository that installs the tarball (its dependencies from npm's cache
// or the registry; better-sqlite3 compiles there), type-checks, runs a function in a sandbox, and
// serves the dashboard.
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const readme = readFileSync(join(repo, "README.md"), "utf8");
const heading = "## Use Lockbox in your project\n";
const section = readme.slice(readme.indexOf(heading), readme.indexOf("\n## ", readme.indexOf(heading) + 1));

/** The first fenced block of `language` in the section. */
function block(language: string): string {
  const found = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(section)?.[1];
  if (!found) throw new Error(`README.md's "${heading.trim()}" has no ${language} block`);
  return found;
}

interface Run {
  code: number | null;
  output: string;
}

const children = new Set<ChildProcess>();

// Each command in a process group of its own, so a timeout or the cleanup ends what it started
// too (npm's node-gyp and make, npx's node).
function start(command: string, cwd: string, env: Record<string, string>): ChildProcess {
  const child = spawn("bash", ["-c", command], {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.on("close", () => children.delete(child));
  return child;
}

function stopGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function run(command: string, cwd: string, env: Record<string, string>, timeoutMs: number): Promise<Run> {
  const child = start(command, cwd, env);
  let output = "";
  const append = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const timer = setTimeout(() => stopGroup(child, "SIGKILL"), timeoutMs);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const seconds = Math.round((Date.now() - started) / 1000);
      resolve({ code, output: `$ ${command}   (exit ${code} after ${seconds} s)\n${output}` });
    });
  });
}

/** The server's URL once it prints where it listens; rejects if it ends or takes over `timeoutMs`. */
function listeningUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lockbox server did not start:\n${output}`)), timeoutMs);
    const check = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /^Lockbox listening on (\S+)$/m.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout?.on("data", check);
    child.stderr?.on("data", check);
    child.on("close", () => {
      clearTimeout(timer);
      reject(new Error(`lockbox server ended before it listened:\n${output}`));
    });
  });
}

const minutes = (n: number) => n * 60_000;

describe("Use Lockbox in your project (README.md)", () => {
  const outside = mkdtempSync(join(tmpdir(), "lockbox-your-project-"));
  const packed = join(outside, "packed");
  const project = join(outside, "my-project");
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    // npm's cache (filled by the repository's `npm ci`) and .npmrc; Lockbox's data folder apart.
    HOME: homedir(),
    npm_config_nodedir: process.env.npm_config_nodedir ?? "/usr",
    npm_config_prefer_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    // node-gyp runs make with as many jobs as cores: better-sqlite3's two sources compile side by side.
    JOBS: "max",
    LOCKBOX_HOME: join(outside, "lockbox-home"),
    // Never plain processes: the function must run in the sandbox, or the test fails.
    LOCKBOX_CONTAINER: "sandbox",
  };
  let tarball = "";
  let install: Run;

  /** Runs a command of the README's section (it must be there, word for word) in the project. */
  const readmeCommand = (command: string, timeoutMs = minutes(1)) => {
    expect(section).toContain(command);
    return run(command, project, env, timeoutMs);
  };

  beforeAll(async () => {
    expect(section).toContain("$ npm run pack\n");
    // Into the test's folder rather than the repository's dist/.
    const pack = await run(`npm run pack -- --out ${packed}`, repo, env, minutes(3));
    expect(pack, pack.output).toMatchObject({ code: 0 });
    tarball = /^Packed lockbox, .*: (\S+\.tgz) \(\d+ kB\)$/m.exec(pack.output)?.[1] ?? "";
    expect(tarball, pack.output).toBe(join(packed, "lockbox-0.1.0.tgz"));

    expect(section).toContain("mkdir my-project && cd my-project\n");
    mkdirSync(project);
    for (const command of [
      "npm init -y",
      "npm pkg set type=module",
      "npm pkg set allowScripts.better-sqlite3=true allowScripts.esbuild=true --json",
    ]) {
      const result = await readmeCommand(command);
      expect(result, result.output).toMatchObject({ code: 0 });
    }
    const installCommand = "npm install /path/to/lockbox/dist/lockbox-0.1.0.tgz";
    expect(section).toContain(installCommand);
    install = await run(installCommand.replace(/\S+\.tgz$/, tarball), project, env, minutes(12));
    expect(install, install.output).toMatchObject({ code: 0 });
    const devTools = await readmeCommand(
      "npm install --save-dev typescript@~5.9 @types/node@^20",
      minutes(3),
    );
    expect(devTools, devTools.output).toMatchObject({ code: 0 });
  }, minutes(20));

  afterAll(async () => {
    const closing = [...children].map((child) => new Promise((resolve) => child.once("close", resolve)));
    for (const child of children) stopGroup(child, "SIGKILL");
    await Promise.all(closing);
    rmSync(outside, { recursive: true, force: true });
  });

  it("installs from the one tarball, its server bundled, without engine or install-script warnings", () => {
    const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
    expect(Object.keys(manifest.dependencies)).toEqual(["lockbox"]);
    const installed = (path: string) => JSON.parse(readFileSync(join(project, "node_modules", path), "utf8"));
    expect(installed("lockbox/node_modules/@lockbox/server/package.json").name).toBe("@lockbox/server");
    expect(installed("better-sqlite3/package.json").version).toMatch(/^12\.11\./);
    expect(install.output).not.toMatch(/EBADENGINE|install-scripts/);
  });

  it(
    "type-checks `import { App, Secret, isLocal }` and the guide's examples, strict and nodenext",
    async () => {
      const tsconfig = JSON.parse(block("json"));
      expect(tsconfig.compilerOptions).toMatchObject({
        strict: true,
        module: "nodenext",
        moduleResolution: "nodenext",
      });
      expect(block("ts")).toContain('import { App, Secret, isLocal } from "lockbox";');
      writeFileSync(join(project, "tsconfig.json"), block("json"));
      writeFileSync(join(project, "app.ts"), block("ts"));
      mkdirSync(join(project, "examples"));
      for (const example of ["secret-keys.ts", "two-secrets.ts", "local-secret.ts", "dotenv.ts"]) {
        cpSync(join(repo, "examples", example), join(project, "examples", example));
      }
      // And one file with a type error, so that a check that checks nothing cannot pass.
      writeFileSync(join(project, "wrong.ts"), 'import { App } from "lockbox";\nnew App(42);\n');
      expect(section).toContain("$ npx tsc\n");
      const check = await run("npx tsc --listFiles", project, env, minutes(2));
      rmSync(join(project, "wrong.ts"));
      const errors = check.output.split("\n").filter((line) => line.includes("error TS"));
      expect(errors, check.output).toEqual([expect.stringMatching(/^wrong\.ts\(2,9\): error TS2345: /)]);
      // Checked against what was installed, not the repository's sources.
      expect(check.output).toContain(join(project, "node_modules/lockbox/dist/index.d.ts"));
      expect(check.output).not.toContain(repo);
    },
    minutes(5),
  );

  it(
    "runs the function in a sandboxed container, its secret masked",
    async () => {
      const create = await readmeCommand("npx lockbox secret create my-project-keys MY_PASSWORD=hunter2");
      expect(create, create.output).toMatchObject({ code: 0 });
      const result = await readmeCommand("npx lockbox run app.ts::hello", minutes(2));
      expect(result, result.output).toMatchObject({ code: 0 });
      // uid 65534 is the sandbox's user (the test runs as root); isLocal() is false in a container.
      const printed = "isLocal() is false, uid 65534\nMY_PASSWORD is ***\n";
      expect(section).toContain(`$ npx lockbox run app.ts::hello\n${printed}`);
      expect(result.output).toContain(printed);
      expect(result.output).not.toContain("hunter2");
    },
    minutes(3),
  );

  it(
    "serves the dashboard and its assets from the installed server",
    async () => {
      expect(section).toContain("$ npx lockbox server\n");
      const server = start("exec npx lockbox server --port 0", project, env);
      const closed = new Promise((resolve) => server.once("close", resolve));
      try {
        const url = await listeningUrl(server, minutes(1));
        const index = await fetch(`${url}/`);
        expect(index.status).toBe(200);
        expect(index.headers.get("content-type")).toMatch(/^text\/html/);
        const html = await index.text();
        expect(html).toContain('<div id="root"></div>');
        const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)">/.exec(html)?.[1];
        expect(script, html).toBeDefined();
        const asset = await fetch(`${url}${script}`);
        expect(asset.status).toBe(200);
        expect(asset.headers.get("content-type")).toMatch(/javascript/);
        const built = readFileSync(join(repo, "packages/dashboard/dist", script ?? ""), "utf8");
        expect(await asset.text()).toBe(built);
      } finally {
        stopGroup(server, "SIGTERM");
        await closed;
      }
    },
    minutes(2),
  );
});
