import { expect, test } from "@playwright/test";
import { hydrated, OWNER, PHONE, shot, signIn } from "./helpers";

test.describe("settings, as the owner", () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, OWNER);
    await page.goto("/settings");
    await hydrated(page);
  });

  test("a 10-day cooldown is refused and explained; a valid change saves", async ({ page }) => {
    const cooldown = page.getByTestId("setting-cooldown_days");
    await expect(cooldown).toHaveValue("90");
    await cooldown.fill("10");
    await page.getByTestId("settings-save").click();
    await expect(page.getByTestId("setting-error")).toContainText("Cooldown must be at least 30 days");
    await expect(cooldown).toHaveValue("10");
    await expect(cooldown).toHaveAttribute("aria-invalid", "true");
    await shot(page, "settings-cooldown-refused");

    await cooldown.fill("60");
    await page.getByTestId("setting-diagnostics").check();
    await page.getByTestId("settings-save").click();
    await expect(page.getByText("Saved. Cooldown (days): 90 → 60; Diagnostics mode: off → on")).toBeVisible();
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId("setting-cooldown_days")).toHaveValue("60");

    // Diagnostics mode shows provider ids in the number detail.
    await page.goto("/numbers");
    await hydrated(page);
    await page.locator('[data-number="+15125550100"]').getByTestId("number-open").click();
    await expect(page.getByTestId("number-detail")).toContainText("PNdemo");
  });

  test("on a phone the settings stack", async ({ page }) => {
    await page.setViewportSize(PHONE);
    await expect(page.getByTestId("operations-form")).toBeVisible();
    await shot(page, "settings-phone");
  });
});
