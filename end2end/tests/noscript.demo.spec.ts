import { expect, test } from "@playwright/test";
import { hydrated, marker, PHONE, shot, SITTER } from "./helpers";

// A sitter on a slow phone acts before the page's script has arrived (or
// it never does): sign-in, reading and replying work as plain HTML forms,
// and nothing typed is lost.

test.describe("sitter with JavaScript off", () => {
  test.use({ javaScriptEnabled: false, viewport: PHONE });

  test("signs in, opens a conversation, replies; a refused reply comes back with the reason", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Email", { exact: true }).fill(SITTER.email);
    await page.getByLabel("Password").fill(SITTER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/inbox$/);
    await expect(page.getByTestId("thread-item").first()).toBeVisible();

    await page.getByTestId("thread-item").filter({ hasText: "Ana" }).first().click();
    await expect(page).toHaveURL(/\/inbox\/\d+$/);
    await expect(page.getByTestId("thread-client-name")).toHaveText("Ana");
    const thread = page.url();

    const reply = `On my way with the leash ${marker()}`;
    await page.getByTestId("compose-text").fill(reply);
    await page.getByTestId("send").click();
    await expect(page).toHaveURL(thread);
    await expect(page.getByTestId("message").filter({ hasText: reply })).toBeVisible();
    await expect(page.getByTestId("compose-text")).toHaveValue("");

    const refused = `text me at 512 555 1234 next time ${marker()}`;
    await page.getByTestId("compose-text").fill(refused);
    await page.getByTestId("send").click();
    await expect(page.getByTestId("send-refused")).toContainText("Not sent");
    await expect(page.getByTestId("compose-text")).toHaveValue(refused);
    await shot(page, "noscript-sitter-refused");
  });
});

test.describe("sitter on a slow connection", () => {
  test.use({ viewport: PHONE });

  test("what was typed before the page came alive is still there after", async ({ page }) => {
    await page.goto("/login");
    await hydrated(page);
    await page.getByLabel("Email", { exact: true }).fill(SITTER.email);
    await page.getByLabel("Password").fill(SITTER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("thread-item").first()).toBeVisible();
    const href = await page.getByTestId("thread-item").filter({ hasText: "Ana" }).first().getAttribute("href");
    expect(href).toMatch(/^\/inbox\/\d+$/);

    // Hold the WASM back until the reply is typed into the server's HTML.
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    await page.route(/\.wasm$/, async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(href!, { waitUntil: "domcontentloaded" });
    const typed = `Running five minutes late ${marker()}`;
    await page.getByTestId("compose-text").fill(typed);
    expect(await page.evaluate(() => (window as any).__leashline_hydrated === true)).toBe(false);
    release();
    await hydrated(page);
    await expect(page.getByTestId("compose-text")).toHaveValue(typed);
    await page.getByTestId("send").click();
    await expect(page.getByTestId("message").filter({ hasText: typed })).toBeVisible();
    await expect(page.getByTestId("compose-text")).toHaveValue("");
  });
});
