import fc from "fast-check"
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from "kysely"
import { describe, expect, it } from "vitest"
import { compiledOnce } from "../../src/db/compiled.js"
import type { Tables } from "../../src/db/schema.js"
import {
  insertFirstVersion,
  insertVersion,
  type NewResource,
  type NewVersion,
  RESOURCE_PLACEHOLDERS,
  VERSION_PLACEHOLDERS,
} from "../../src/history/statements.js"

/** Compiles as the service's databases do (PostgreSQL's dialect), and executes nothing. */
const db = new Kysely<Tables>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new PostgresIntrospector(kysely),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
})

const text = fc.oneof(fc.string(), fc.constantFrom("$hash", "$body", "", "-1"))
const count = fc.oneof(fc.integer(), fc.constantFrom(-1, -2, 0))
const when = fc.date({ noInvalidDate: true })

const versionFields = {
  version: count,
  hash: text,
  observed_at: when,
  body: text,
  tracked: text,
  patch: text,
  patch_ops: count,
}

const newVersion: fc.Arbitrary<NewVersion> = fc.record({ resource_id: text, ...versionFields })

const newResource: fc.Arbitrary<NewResource> = fc.record({
  id: text,
  source: text,
  key: text,
  params: text,
  ...versionFields,
})

describe("compiledOnce", () => {
  it("property: a version's insert, filled, is the statement Kysely compiles for the row", () => {
    const fill = compiledOnce((row: NewVersion) => insertVersion(db, row), VERSION_PLACEHOLDERS)
    fc.assert(
      fc.property(newVersion, (row) => {
        const fresh = insertVersion(db, row).compile()
        const filled = fill(row)
        expect(filled.sql).toBe(fresh.sql)
        expect(filled.parameters).toEqual(fresh.parameters)
        // The row's own Date, as the driver would have had it: not a copy.
        expect(filled.parameters).toContain(row.observed_at)
      }),
    )
  })

  it("property: a first version's insert, filled, is the statement Kysely compiles for the row", () => {
    const fill = compiledOnce(
      (row: NewResource) => insertFirstVersion(db, row),
      RESOURCE_PLACEHOLDERS,
    )
    fc.assert(
      fc.property(newResource, (row) => {
        const fresh = insertFirstVersion(db, row).compile()
        const filled = fill(row)
        expect(filled.sql).toBe(fresh.sql)
        expect(filled.parameters).toEqual(fresh.parameters)
      }),
    )
  })

  it("refuses placeholders that share a value: the parameters could not be told apart", () => {
    expect(() =>
      compiledOnce((row: NewVersion) => insertVersion(db, row), {
        ...VERSION_PLACEHOLDERS,
        body: "$hash",
      }),
    ).toThrow(/is not one placeholder/)
  })

  it("refuses a placeholder the statement does not use", () => {
    expect(() =>
      compiledOnce(
        ({ unused, ...row }: NewVersion & { readonly unused: string }) => insertVersion(db, row),
        { ...VERSION_PLACEHOLDERS, unused: "$unused" },
      ),
    ).toThrow(/does not use unused/)
  })

  it("refuses a parameter that is no placeholder", () => {
    expect(() =>
      compiledOnce(
        (row: NewVersion) => insertVersion(db, { ...row, body: "a constant" }),
        VERSION_PLACEHOLDERS,
      ),
    ).toThrow(/is not one placeholder/)
  })
})
