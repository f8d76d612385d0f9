import { expect, test } from "@playwright/test";
import { hydrated, marker, OWNER, PHONE, shot, signIn, SITTER } from "./helpers";

// Shared demo server: these start conversations with Chloe Nguyen and
// Daniel Brooks (Maya's clients, texted here from the Front Desk), whom no
// other spec counts threads of.

test.describe("texting a client first, as the owner", () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, OWNER);
  });

  test("from People: Text opens the form for that client and the text arrives in a new conversation", async ({ page }) => {
    await page.goto("/people");
    await hydrated(page);
    await page.getByTestId("client-search").fill("Chloe");
    await page.getByTestId("client-search-go").click();
    await expect(page.getByTestId("client-row")).toHaveCount(1);
    await page.getByTestId("client-row").getByTestId("client-text").click();
    await expect(page).toHaveURL(/\/conversations\/new\?client=\d+$/);
    await hydrated(page);
    await expect(page.getByTestId("start-client")).toHaveText("Chloe Nguyen");
    await expect(page.getByTestId("start-number").locator("option:checked")).toContainText("Front Desk");

    // Nothing typed is lost when a send is refused.
    await page.getByTestId("start-send").click();
    await expect(page.getByTestId("start-error")).toContainText("Write the text to send");
    const text = `Hi Chloe, Happy Tails here ${marker()}`;
    await page.getByTestId("start-body").fill(`${text}: call me on 512 555 0177`);
    await page.getByTestId("start-send").click();
    await expect(page.getByTestId("start-confirm")).toContainText("This looks like it shares");
    await expect(page.getByTestId("start-body")).toHaveValue(`${text}: call me on 512 555 0177`);
    await shot(page, "conversation-new-confirm");
    await page.getByTestId("start-body").fill(text);
    // The demo keeps quiet hours (9 PM – 8 AM): at night, send it now anyway.
    if (await page.getByTestId("start-quiet-hours").isVisible()) await page.getByTestId("start-send-now").check();
    await page.getByTestId("start-send").click();

    await expect(page).toHaveURL(/\/inbox\/\d+$/);
    await expect(page.getByTestId("thread-client-name")).toHaveText("Chloe Nguyen");
    const mine = page.getByTestId("message").filter({ hasText: text });
    await expect(mine).toHaveCount(1);
    await expect(mine.getByTestId("delivery-status")).toHaveText("Delivered", { timeout: 10_000 });
    await shot(page, "conversation-new-sent");

    // "Assign sitter" in the conversation opens the assign form with Chloe chosen.
    await page.getByTestId("assign-from-thread").click();
    await expect(page).toHaveURL(/\/assignments\?client=\d+$/);
    await hydrated(page);
    await expect(page.getByTestId("assign-client").locator("option:checked")).toHaveText("Chloe Nguyen");
  });

  test("from the inbox: New conversation, search the client, choose the number, send", async ({ page }) => {
    await page.goto("/inbox");
    await hydrated(page);
    await page.getByTestId("new-conversation").click();
    await expect(page).toHaveURL(/\/conversations\/new$/);
    await hydrated(page);
    await page.getByTestId("start-client-search").fill("Daniel");
    await page.getByTestId("start-found").getByTestId("start-pick").filter({ hasText: "Daniel Brooks" }).click();
    await expect(page.getByTestId("start-client")).toHaveText("Daniel Brooks");
    await expect(page.getByTestId("start-to").locator("option")).not.toHaveCount(0);
    const text = `Daniel, your sitter for next week is confirmed ${marker()}`;
    await page.getByTestId("start-body").fill(text);
    await expect(page.getByTestId("start-segments")).toContainText("1 segment");
    await shot(page, "conversation-new");
    await page.getByTestId("start-send").click();
    await expect(page).toHaveURL(/\/inbox\/\d+$/);
    await expect(page.getByTestId("thread-client-name")).toHaveText("Daniel Brooks");
    await expect(page.getByTestId("message").filter({ hasText: text })).toHaveCount(1);
  });
});

test("a sitter has no New conversation and can't open the form", async ({ browser }) => {
  const phone = await browser.newContext({ viewport: PHONE, baseURL: "http://127.0.0.1:3100" });
  const page = await phone.newPage();
  await signIn(page, SITTER);
  await page.goto("/inbox");
  await hydrated(page);
  await expect(page.getByTestId("inbox-search")).toBeVisible();
  await expect(page.getByTestId("new-conversation")).toHaveCount(0);
  await page.goto("/conversations/new");
  await hydrated(page);
  await expect(page.getByTestId("start-form")).toHaveCount(0);
  await expect(page.getByTestId("owner-only")).toBeVisible();
  await phone.close();
});
