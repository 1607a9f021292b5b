import { type Kysely, sql } from "kysely"

/*
 * Every appended version is announced on the `tidemark_versions` channel as
 * "<resource id> <version>", at commit, so that each Tidemark process learns of the
 * versions the others write and stops trusting what it knew of that resource.
 */

const announcement = sql`perform pg_notify('tidemark_versions', new.resource_id || ' ' || new.version);`

/** The trigger function of 0001, with the announcement after the resource row moves on. */
const appendFunction = (announce: boolean) => sql`
  create or replace function tidemark_append_version() returns trigger language plpgsql as $$
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
    ${announce ? announcement : sql``}
    return new;
  end
  $$
`

export async function up(db: Kysely<unknown>): Promise<void> {
  await appendFunction(true).execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await appendFunction(false).execute(db)
}
