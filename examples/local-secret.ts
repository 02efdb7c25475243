// The guide's third example: send a value from your machine to the function with Secret.fromDict.
//   LOCAL_FOO=hello lockbox run examples/local-secret.ts::someFunction
import { App, isLocal, Secret } from "lockbox";

const app = new App();

// On your machine this reads LOCAL_FOO; in the container, which re-imports this module,
// isLocal() is false and the secret is empty: the value arrives through the environment.
const localSecret = isLocal() ? Secret.fromDict({ FOO: process.env.LOCAL_FOO }) : Secret.fromDict({});

export const someFunction = app.function({ secrets: [localSecret] }, async () => {
  console.log(process.env.FOO);
});
