/** The API token field: kept in this tab's session storage, sent as a bearer token. */
import { readToken, saveToken } from "./api.js"
import { button, h, statusLine } from "./dom.js"

export const tokenForm = (onChange: () => void): HTMLElement => {
  const input = h("input", {
    id: "api-token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "api-token-hint",
  })
  input.value = readToken()
  const status = statusLine("status token-status")
  const describe = () => {
    status.textContent = readToken() === "" ? "No token set." : "Token set for this tab."
  }
  const form = h(
    "form",
    { class: "token-form" },
    h("label", { for: "api-token" }, "API token"),
    input,
    h("button", { type: "submit" }, "Use token"),
    button("Clear", () => {
      input.value = ""
      saveToken("")
      describe()
      onChange()
    }),
    h(
      "span",
      { id: "api-token-hint", class: "visually-hidden" },
      "Needed when Tidemark runs with TIDEMARK_API_TOKEN; kept only in this browser tab.",
    ),
    status,
  )
  form.addEventListener("submit", (event) => {
    event.preventDefault()
    saveToken(input.value.trim())
    describe()
    onChange()
  })
  describe()
  return form
}
