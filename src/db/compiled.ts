/**
 * A statement built and compiled once: each use gives the compiled SQL a row's values as
 * its parameters, instead of building the query and compiling it again (for a resource's
 * first version, most of what deciding it costs in this process).
 */
import type { Compilable, CompiledQuery } from "kysely"

/**
 * Builds `build(placeholders)` once and returns what fills it with a row's values. Every
 * placeholder must be a value of its own (a string, number or object no other field
 * shares): each parameter of the compiled statement is traced back to its field by it, so
 * the order Kysely gives the parameters in is read from the statement, not assumed. A
 * parameter that is no placeholder, or a placeholder the statement does not use, throws.
 */
export const compiledOnce = <Row extends object, Result>(
  build: (row: Row) => Compilable<Result>,
  placeholders: Row,
): ((row: Row) => CompiledQuery<Result>) => {
  const compiled = build(placeholders).compile()
  const fields = Object.keys(placeholders) as Array<keyof Row & string>
  const order = compiled.parameters.map((parameter, index) => {
    const matching = fields.filter((field) => placeholders[field] === parameter)
    const [field] = matching
    if (field === undefined || matching.length > 1) {
      throw new Error(`parameter ${index + 1} of "${compiled.sql}" is not one placeholder`)
    }
    return field
  })
  for (const field of fields) {
    if (!order.includes(field)) throw new Error(`"${compiled.sql}" does not use ${field}`)
  }
  return (row) => ({ ...compiled, parameters: order.map((field) => row[field]) })
}
