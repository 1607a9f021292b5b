/** A resource's page in Chromium: live new versions, versions and diffs, the chart, a narrow screen. */
import { afterAll, beforeAll, expect, it } from "vitest"
import { describeInBrowser, saveScreenshot } from "../support/browser.js"
import { type PageStack, quote, startPageStack, WAIT } from "../support/page-stack.js"

describeInBrowser("the web page's resource view, in Chromium", () => {
  let stack: PageStack

  beforeAll(async () => {
    stack = await startPageStack({ tokenInSession: true })
  })
  afterAll(async () => {
    await stack?.close()
  })

  const versionsShown = () =>
    stack.page
      .locator(".timeline-list li")
      .evaluateAll((rows) => rows.map((row) => Number(row.dataset.version)))

  it("shows a new version without a reload when the upstream changes", async () => {
    const { page, server, history, setQuote, observe, browserConsole } = stack
    const id = await history("WAVE", [quote("20.00")])
    await page.goto(`${server.url}/resources/${id}`)
    await page.locator("li[data-version='1']").waitFor(WAIT)
    await page.locator(".live-state[data-state=open]").waitFor(WAIT)
    await page.evaluate("document.body.dataset.loadedOnce = 'yes'")

    setQuote("WAVE", quote("20.75"))
    await observe("WAVE", 2)
    await page.locator("li[data-version='2']").waitFor(WAIT)
    expect(await versionsShown()).toEqual([2, 1])
    await page.locator("[data-fact=versions]", { hasText: "2" }).waitFor(WAIT)
    expect(await page.evaluate("document.body.dataset.loadedOnce")).toBe("yes")
    browserConsole.expectClean()
  })

  it("shows a picked version's body, and the diff of two picked versions with the changed paths highlighted", async () => {
    const { page, server, history, browserConsole } = stack
    const wider = { bid: { price: 99.5, size: 4 }, ask: { price: 100.5, size: 5 } }
    const id = await history("DIFF", [
      quote("100.00"),
      quote("101.25", { book: wider }),
      quote("101.25", { book: wider, venues: ["XNAS"], halted: false }),
    ])
    await page.goto(`${server.url}/resources/${id}`)
    await page.locator(".version-panel[data-version='3']").waitFor(WAIT)
    expect(await versionsShown()).toEqual([3, 2, 1])

    await page.getByRole("button", { name: /^Version 2/ }).click()
    const panel = page.locator(".version-panel[data-version='2']")
    await panel.waitFor(WAIT)
    expect(await panel.locator(".json-view").first().textContent()).toContain('"price": "101.25"')
    expect(new URL(page.url()).search).toBe("?version=2")

    await page.getByLabel("compare version 1").focus()
    await page.keyboard.press("Space")
    await page.getByLabel("compare version 3").focus()
    await page.keyboard.press("Space")
    const diff = page.locator(".diff-panel[data-from='1'][data-to='3']")
    await diff.waitFor(WAIT)
    expect(new URL(page.url()).search).toBe("?from=1&to=3")
    const rows = await diff
      .locator("tbody tr")
      .evaluateAll((trs) =>
        trs.map((tr) =>
          [...tr.children].map((cell) => cell.textContent?.replace(/\s+/g, " ").trim()),
        ),
      )
    expect(rows).toEqual([
      ["removed", "/venues/1", '"XNYS"', "—"],
      ["changed", "/price", '"100.00"', '"101.25"'],
      ["changed", "/book/bid/size", "3", "4"],
      ["added", "/halted", "—", "false"],
    ])
    const marked = await diff
      .locator("[data-mark]")
      .evaluateAll((nodes) =>
        nodes.map((node) => `${node.dataset.mark} ${node.closest("[data-path]")?.dataset.path}`),
      )
    expect(marked.sort()).toEqual([
      "added /halted",
      "changed /book/bid/size",
      "changed /price",
      "removed-inside /venues",
    ])

    await page.goto(`${server.url}/resources/${id}?from=2&to=3`)
    await page
      .locator(".diff-panel[data-from='2'][data-to='3'] tr[data-path='/halted']")
      .waitFor(WAIT)
    expect(await page.locator(".diff-panel tbody tr").count()).toBe(2)
    await page.goto(`${server.url}/resources/${id}?from=1&to=3`)
    await page.locator(".diff-panel tr[data-path='/price']").waitFor(WAIT)
    await page.locator(".chart-plot[data-point-count='3']").waitFor(WAIT)
    await saveScreenshot(page, "resource-1280")
    browserConsole.expectClean()
  })

  it("charts a chosen numeric path with one point per version, and adds the next one live", async () => {
    const { page, server, history, setQuote, observe, browserConsole } = stack
    const prices = ["10.50", "11", "12.25", "11.75", "13"]
    const id = await history(
      "CHRT",
      prices.map((price, index) => quote(price, { volume: 1000 + index * 10 })),
    )
    await page.goto(`${server.url}/resources/${id}`)
    const path = page.getByLabel("Value", { exact: true })
    await page.locator(".chart-plot[data-path='/price'][data-point-count='5']").waitFor(WAIT)
    expect(await path.locator("option").allTextContents()).toEqual([
      "/price",
      "/volume",
      "/book/ask/price",
      "/book/ask/size",
      "/book/bid/price",
      "/book/bid/size",
    ])
    expect(await page.locator(".points-table tbody td.number").allTextContents()).toEqual([
      "10.5",
      "11",
      "12.25",
      "11.75",
      "13",
    ])
    expect(await page.locator(".chart-plot .uplot canvas").count()).toBe(1)

    await path.selectOption("/book/bid/size")
    await page.locator(".chart-plot[data-path='/book/bid/size']").waitFor(WAIT)
    expect(await page.locator(".chart-plot").getAttribute("data-point-count")).toBe("5")
    await path.selectOption("/volume")
    await page.locator(".chart-plot[data-path='/volume'][data-point-count='5']").waitFor(WAIT)

    setQuote("CHRT", quote("14.5", { volume: 1050 }))
    await observe("CHRT", 6)
    await page.locator(".chart-plot[data-path='/volume'][data-point-count='6']").waitFor(WAIT)
    expect(await page.locator(".points-table tbody td.number").last().textContent()).toBe("1050")
    browserConsole.expectClean()
  })

  it("stays readable at 390 pixels wide", async () => {
    const { page, server, observe, browserConsole } = stack
    await page.setViewportSize({ width: 390, height: 844 })
    const overflow = () => page.evaluate("document.documentElement.scrollWidth - window.innerWidth")

    await page.goto(`${server.url}/`)
    const market = page.locator("[data-source=market]")
    await market.getByRole("button", { name: "Fetch live" }).click()
    await market.locator(".live-result").waitFor(WAIT)
    await page.locator(".resources tbody tr").first().waitFor(WAIT)
    expect(await overflow()).toBe(0)
    await saveScreenshot(page, "home-390", false)

    const id = await observe("DIFF", 3)
    await page.goto(`${server.url}/resources/${id}?from=1&to=3`)
    await page.locator(".diff-panel tr[data-path='/price']").waitFor(WAIT)
    await page.locator(".chart-plot[data-point-count='3']").waitFor(WAIT)
    expect(await overflow()).toBe(0)
    const plot = await page
      .locator(".chart-plot .uplot")
      .evaluate((element) => element.getBoundingClientRect().right)
    expect(plot).toBeLessThanOrEqual(390)
    await saveScreenshot(page, "resource-390", false)
    browserConsole.expectClean()
  })
})
