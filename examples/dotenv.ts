// The guide's fourth example: the keys of a .env file, found upward from the working directory.
//   cd examples && lockbox run dotenv.ts::someOtherFunction
import { App, Secret } from "lockbox";

const app = new App();

export const someOtherFunction = app.function({ secrets: [Secret.fromDotenv()] }, async () => {
  console.log(process.env.USERNAME);
});
