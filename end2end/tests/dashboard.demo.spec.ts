import { expect, test } from "@playwright/test";
import { hydrated, OWNER, PHONE, shot, signIn } from "./helpers";

test("the owner's dashboard: today's numbers link to their lists", async ({ page }) => {
  await signIn(page, OWNER);
  await page.goto("/");
  await hydrated(page);
  await expect(page.getByTestId("dashboard")).toBeVisible();
  await expect(page.getByTestId("demo-banner")).toContainText("Demo mode");
  await expect(page.getByTestId("recent-activity")).toBeVisible();
  await shot(page, "dashboard");

  const unread = page.getByRole("link", { name: /Unread conversations/ });
  await expect(unread).toHaveAttribute("href", "/inbox?filter=unread");
  await unread.click();
  await hydrated(page);
  await expect(page.getByRole("button", { name: "Unread" })).toHaveAttribute("aria-pressed", "true");
  const items = page.getByTestId("thread-client");
  await expect(items.first()).toBeVisible();
  const count = await items.count();
  await expect(page.getByTestId("unread-badge")).toHaveCount(count);
});

test.describe("on a phone", () => {
  test.use({ viewport: PHONE });
  test("the dashboard stacks its numbers", async ({ page }) => {
    await signIn(page, OWNER);
    await page.goto("/");
    await hydrated(page);
    await expect(page.getByRole("link", { name: /Open violations/ })).toBeVisible();
    await shot(page, "dashboard-phone");
  });
});
