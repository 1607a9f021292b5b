import fc from "fast-check"

/** Strings of any UTF-16 code units, lone surrogates included, as a JavaScript string can hold. */
export const codeUnitString = fc.string({
  unit: fc.nat(0xffff).map((code) => String.fromCharCode(code)),
})

/** Printable ASCII, control characters, any Unicode, and any code units. */
export const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary-ascii" }),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  codeUnitString,
)
