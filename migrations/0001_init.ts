import { type Kysely, sql } from "kysely"

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("resources")
    .addColumn("id", "text", (col) => col.primaryKey())
    .addColumn("source", "text", (col) => col.notNull())
    .addColumn("key", "text", (col) => col.notNull().unique())
    .addColumn("params", "jsonb", (col) => col.notNull())
    .addColumn("created_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn("latest_version", "integer", (col) => col.notNull().defaultTo(0))
    .addColumn("latest_hash", "text")
    .addColumn("latest_observed_at", "timestamptz")
    .execute()
  await db.schema
    .createIndex("resources_source_id")
    .on("resources")
    .columns(["source", "id"])
    .execute()

  await db.schema
    .createTable("versions")
    .addColumn("resource_id", "text", (col) =>
      col.notNull().references("resources.id").onDelete("cascade"),
    )
    .addColumn("version", "integer", (col) => col.notNull().check(sql`version >= 1`))
    .addColumn("hash", "text", (col) => col.notNull())
    .addColumn("observed_at", "timestamptz", (col) => col.notNull())
    .addColumn("recorded_at", "timestamptz", (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn("body", "text", (col) => col.notNull())
    .addColumn("tracked", "text", (col) => col.notNull())
    .addColumn("patch", "jsonb", (col) => col.notNull())
    .addColumn("patch_ops", "integer", (col) => col.notNull())
    .addPrimaryKeyConstraint("versions_pkey", ["resource_id", "version"])
    .execute()

  // The database itself keeps guarantees 3 and 4: whatever the writer, a version must be
  // the next number, newer than the latest, and different from it; the resource row then
  // moves forward in the same statement.
  await sql`
    create function tidemark_append_version() returns trigger language plpgsql as $$
    declare
      current_version integer;
      current_hash text;
      current_observed timestamptz;
    begin
      select latest_version, latest_hash, latest_observed_at
        into current_version, current_hash, current_observed
        from resources where id = new.resource_id for update;
      if not found then
        raise exception 'resource % does not exist', new.resource_id using errcode = 'foreign_key_violation';
      end if;
      if new.version <> current_version + 1 then
        raise exception 'version % of % is not next after %', new.version, new.resource_id, current_version
          using errcode = 'unique_violation';
      end if;
      if current_observed is not null and new.observed_at < current_observed then
        raise exception 'observation of % at % is older than the latest', new.resource_id, new.observed_at
          using errcode = 'check_violation';
      end if;
      if current_hash is not distinct from new.hash then
        raise exception 'version % of % repeats its predecessor', new.version, new.resource_id
          using errcode = 'check_violation';
      end if;
      update resources
        set latest_version = new.version, latest_hash = new.hash, latest_observed_at = new.observed_at
        where id = new.resource_id;
      return new;
    end
    $$
  `.execute(db)
  await sql`
    create trigger versions_append before insert on versions
    for each row execute function tidemark_append_version()
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("versions").execute()
  await sql`drop function if exists tidemark_append_version()`.execute(db)
  await db.schema.dropTable("resources").execute()
}
