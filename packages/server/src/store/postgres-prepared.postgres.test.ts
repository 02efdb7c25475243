import pg from "pg";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { createDatabase, dropDatabase, postgresUrlKey } from "../test-support/postgres-server.js";
import { usesPostgres } from "../test-support/test-database.js";
import { prepareStatements } from "./postgres-prepared.js";

// Runs in the `postgres` Vitest project only, which provides the server.
describe.skipIf(!usesPostgres)("prepareStatements", () => {
  let databaseUrl: string;
  let client: pg.Client;
  beforeEach(async () => {
    databaseUrl = await createDatabase(inject(postgresUrlKey));
    client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    prepareStatements(client as pg.PoolClient);
    await client.query("create table things (id int primary key, name text)");
    await client.query("insert into things values (1, 'one'), (2, 'two')");
  });
  afterEach(async () => {
    await client.end();
    await dropDatabase(inject(postgresUrlKey), databaseUrl);
  });

  // A statement without parameters goes through as it is: this one lists what the session prepared.
  const prepared = async () =>
    (await client.query<{ statement: string }>("select statement from pg_prepared_statements")).rows.map(
      (row) => row.statement,
    );

  it("prepares a statement at its first use and runs it again by name", async () => {
    const text = "select name from things where id = $1";
    expect((await client.query(text, [1])).rows).toEqual([{ name: "one" }]);
    expect((await client.query(text, [2])).rows).toEqual([{ name: "two" }]);
    expect(await prepared()).toEqual([text]);
  });

  it("answers a statement whose table a migration changed after it was prepared", async () => {
    const text = "select * from things where id = $1";
    await client.query(text, [1]);
    // Another instance, newer, migrates: the plan prepared here no longer fits the table.
    const other = new pg.Client({ connectionString: databaseUrl });
    await other.connect();
    await other.query("alter table things add column note text default 'added'");
    await other.end();
    expect((await client.query(text, [1])).rows).toEqual([{ id: 1, name: "one", note: "added" }]);
    // From then on it is sent unnamed: a failure inside a transaction would abort it.
    await client.query("begin");
    expect((await client.query(text, [2])).rows).toEqual([{ id: 2, name: "two", note: "added" }]);
    await client.query("commit");
  });

  it("answers a statement the server no longer holds, as behind a pooler that moved the session", async () => {
    const text = "select name from things where id = $1";
    await client.query(text, [1]);
    await client.query("deallocate all");
    expect((await client.query(text, [2])).rows).toEqual([{ name: "two" }]);
    expect(await prepared()).toEqual([]);
  });

  it("keeps at most 200 statements prepared on a connection, and sends the rest unnamed", async () => {
    for (let i = 0; i < 210; i++) await client.query(`select $1::int + ${i} as n`, [1]);
    expect((await client.query(`select $1::int + 209 as n`, [1])).rows).toEqual([{ n: 210 }]);
    expect(await prepared()).toHaveLength(200);
  });
});
