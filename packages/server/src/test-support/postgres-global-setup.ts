import type { TestProject } from "vitest/node";
import { openPostgresStore } from "../store/postgres.js";
import { postgresTemplateKey, postgresUrlKey, startPostgresServer } from "./postgres-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    [postgresUrlKey]: string;
    [postgresTemplateKey]: string;
  }
}

/**
 * Vitest globalSetup of the `postgres` project: one PostgreSQL server for the whole run, and a
 * migrated template database that each test's database is copied from.
 */
export default async function setup(project: TestProject) {
  const server = await startPostgresServer();
  try {
    const template = "lockbox_template";
    const store = openPostgresStore(await server.createDatabase({ name: template }));
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    project.provide(postgresUrlKey, server.url);
    project.provide(postgresTemplateKey, template);
  } catch (error) {
    server.stop();
    throw error;
  }
  return () => server.stop();
}
