/** The home view in Chromium: the token, the sources and their forms, live answers, errors, the tracked list. */
import { afterAll, beforeAll, expect, it } from "vitest"
import { describeInBrowser, saveScreenshot } from "../support/browser.js"
import { type PageStack, quote, startPageStack, TOKEN, WAIT } from "../support/page-stack.js"
import { waitFor } from "../support/waiting.js"

describeInBrowser("the web page's sources and live answers, in Chromium", () => {
  let stack: PageStack

  beforeAll(async () => {
    stack = await startPageStack()
  })
  afterAll(async () => {
    await stack?.close()
  })

  it("asks for the API token, keeps it for the tab, then shows every source with a form built from its params", async () => {
    const { page, server, browserConsole } = stack
    await page.goto(`${server.url}/`)
    const problem = page.locator(".problem")
    await problem.waitFor(WAIT)
    expect(await problem.locator(".problem-title").textContent()).toBe(
      "Could not load the sources: Unauthorized",
    )
    expect(await problem.locator(".problem-code").textContent()).toBe("unauthorized")

    await page.getByLabel("API token").fill(TOKEN)
    await page.getByLabel("API token").press("Enter")
    await page.locator("[data-source=market]").waitFor(WAIT)
    const cards = page.locator("[data-source]")
    expect(await cards.evaluateAll((all) => all.map((card) => card.dataset.source))).toEqual([
      "market",
      "weather",
      "outage",
    ])
    expect(await cards.locator(".description").allTextContents()).toEqual([
      "Quote of a listed symbol",
      "Current conditions at a coordinate",
      "An upstream having a bad day",
    ])

    const market = page.locator("[data-source=market]")
    const symbol = market.getByLabel("symbol")
    expect(await symbol.getAttribute("type")).toBe("text")
    expect(await symbol.inputValue()).toBe("ACME")
    const hint = market.locator(".hint").first()
    expect(await hint.locator(".hint-text").textContent()).toBe("Ticker symbol")
    expect(await hint.locator(".constraints").textContent()).toBe(
      "string, matching ^[A-Z]{1,6}$, default ACME",
    )
    const currency = market.getByLabel("currency")
    expect(await currency.evaluate((element) => element.tagName)).toBe("SELECT")
    expect(await currency.locator("option").allTextContents()).toEqual(["USD", "EUR"])
    expect(await currency.inputValue()).toBe("USD")
    const weather = page.locator("[data-source=weather]")
    const latitude = weather.getByLabel("latitude")
    expect(await latitude.getAttribute("type")).toBe("number")
    expect([await latitude.getAttribute("min"), await latitude.getAttribute("max")]).toEqual([
      "-90",
      "90",
    ])
    expect(await weather.getByLabel("units").locator("option").allTextContents()).toEqual([
      "celsius",
      "fahrenheit",
    ])

    await page.reload()
    await page.locator("[data-source=market]").waitFor(WAIT)
    expect(await page.evaluate("sessionStorage.getItem('tidemark.apiToken')")).toBe(TOKEN)
    browserConsole.expectClean([{ status: 401, path: "/v1/sources" }])
  })

  it("fetches live and shows the answer, when it was observed, how long it took, its ETag and resource id", async () => {
    const { page, api, sent, browserConsole } = stack
    const before = Date.now()
    const market = page.locator("[data-source=market]")
    await market.getByLabel("symbol").press("Enter")
    const result = market.locator(".live-result")
    await result.waitFor(WAIT)
    const after = Date.now()
    expect(await result.locator(".raw").textContent()).toBe(sent.get("ACME"))

    const direct = await api("/v1/live/market?symbol=ACME&currency=USD")
    const resource = direct.headers.get("tidemark-resource") ?? ""
    expect(await result.locator("[data-fact=etag]").textContent()).toBe(direct.headers.get("etag"))
    const link = result.locator("[data-fact=resource] a")
    expect(await link.textContent()).toBe(resource)
    expect(await link.getAttribute("href")).toBe(`/resources/${resource}`)
    expect(await result.locator("[data-fact=duration]").textContent()).toMatch(/^\d+ ms$/)
    const observed = await result.locator("[data-fact=observed] time").getAttribute("datetime")
    expect(Date.parse(observed ?? "")).toBeGreaterThanOrEqual(before - 1000)
    expect(Date.parse(observed ?? "")).toBeLessThanOrEqual(after)
    const answer = await result.locator(".json-view").textContent()
    expect(answer).toContain('"symbol": "ACME"')
    expect(answer).toContain('"price": "101.50"')

    await result.locator("[data-recorded='1']").waitFor(WAIT)
    expect(await result.locator(".recorded").textContent()).toBe("in the history as version 1")
    await page.locator(`.resources tr[data-resource="${resource}"]`).waitFor(WAIT)
    await saveScreenshot(page, "home-1280")
    browserConsole.expectClean()
  })

  it("shows a bad param's message before sending, and an upstream error's title, code and detail", async () => {
    const { page, upstream, browserConsole } = stack
    const calls = upstream.requests.length
    const market = page.locator("[data-source=market]")
    await market.getByLabel("symbol").fill("acme!")
    await market.getByRole("button", { name: "Fetch live" }).click()
    expect(await market.locator(".field-error:visible").allTextContents()).toEqual([
      "symbol must match ^[A-Z]{1,6}$",
    ])
    expect(await market.getByLabel("symbol").getAttribute("aria-invalid")).toBe("true")
    expect(
      await market
        .getByLabel("symbol")
        .evaluate((input) => input === input.ownerDocument.activeElement),
    ).toBe(true)
    await market.getByLabel("symbol").fill("ACME")
    expect(await market.locator(".field-error:visible").count()).toBe(0)

    const weather = page.locator("[data-source=weather]")
    await weather.getByLabel("latitude").fill("200")
    await weather.getByRole("button", { name: "Fetch live" }).click()
    expect(await weather.locator(".field-error:visible").allTextContents()).toEqual([
      "latitude must be at most 90",
      "longitude is required",
    ])
    expect(upstream.requests.length).toBe(calls)

    const outage = page.locator("[data-source=outage]")
    await outage.getByRole("button", { name: "Fetch live" }).click()
    const problem = outage.locator(".problem")
    await problem.waitFor(WAIT)
    expect(await problem.locator(".problem-title").textContent()).toBe(
      "Upstream answered with an error",
    )
    expect(await problem.locator(".problem-code").textContent()).toBe("upstream_status")
    expect(await problem.locator(".problem-detail").textContent()).toBe(
      "source 'outage' answered 500",
    )
    expect(await problem.locator(".problem-status").textContent()).toBe("HTTP 502, upstream 500")
    browserConsole.expectClean([{ status: 502, path: "/v1/live/outage" }])
  })

  it("lists the tracked resources with their latest change, searchable by source", async () => {
    const { page, server, api, history, browserConsole } = stack
    await history("WAVE", [quote("20.00"), quote("20.50")])
    const response = await api("/v1/live/weather?latitude=52.52&longitude=13.41")
    const weatherId = response.headers.get("tidemark-resource") ?? ""
    await waitFor(
      "the weather resource",
      async () => (await api(`/v1/resources/${weatherId}`)).status === 200,
    )

    await page.goto(`${server.url}/`)
    const rows = page.locator(".resources tbody tr")
    await page.locator(`.resources tr[data-resource="${weatherId}"]`).waitFor(WAIT)
    expect((await rows.locator("th").allTextContents()).sort()).toEqual([
      "market?currency=USD&symbol=ACME",
      "market?currency=USD&symbol=WAVE",
      "weather?latitude=52.52&longitude=13.41&units=celsius",
    ])
    const wave = rows.filter({ hasText: "market?currency=USD&symbol=WAVE" })
    expect(await wave.locator("td").allTextContents()).toEqual([
      "market",
      "2",
      expect.stringMatching(/^version 2, .+ \(.+\)$/),
    ])

    await page.getByLabel("Source", { exact: true }).fill("weather")
    await page.getByLabel("Source", { exact: true }).press("Enter")
    await page
      .locator(".resources .status", { hasText: "1 tracked resource for source weather." })
      .waitFor(WAIT)
    expect(await rows.count()).toBe(1)
    expect(await rows.locator("td").first().textContent()).toBe("weather")

    await rows.locator("a").click()
    await page
      .locator("h1", { hasText: "weather?latitude=52.52&longitude=13.41&units=celsius" })
      .waitFor(WAIT)
    expect(await page.evaluate("document.activeElement.tagName")).toBe("H1")
    expect(new URL(page.url()).pathname).toBe(`/resources/${weatherId}`)
    browserConsole.expectClean()
  })
})
