// The guide's second example: two secrets, applied in order; on a clash the later one wins.
//   lockbox secret create my-secret-name FOO=from-my-secret-name
//   lockbox secret create other-secret FOO=from-other-secret
//   lockbox run examples/two-secrets.ts::otherFunction
import { App, Secret } from "lockbox";

const app = new App();

export const otherFunction = app.function(
  { secrets: [Secret.fromName("my-secret-name"), Secret.fromName("other-secret")] },
  async () => {
    console.log(`FOO is ${process.env.FOO}`);
  },
);
