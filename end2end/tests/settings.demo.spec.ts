import { expect, test } from "@playwright/test";
import { hydrated, OWNER, PHONE, shot, signIn } from "./helpers";

test.describe("settings, as the owner", () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, OWNER);
    await page.goto("/settings");
    await hydrated(page);
  });

  test("messaging rules: phone numbers can't be log-only for sitters; quiet hours save", async ({ page }) => {
    const phone = page.getByTestId("rules-policy-phone");
    await expect(phone).toHaveValue("block");
    await phone.selectOption("log");
    await page.getByTestId("rules-quiet-start").fill("22:00");
    await page.getByTestId("rules-save").click();
    await expect(page.getByTestId("rules-error")).toContainText("can't be log-only for sitters");
    await expect(phone).toHaveValue("log");
    await expect(page.getByTestId("rules-quiet-start")).toHaveValue("22:00");
    await shot(page, "settings-rules-refused");
    await phone.selectOption("block");
    await page.getByTestId("rules-save").click();
    await expect(page.getByText("Saved. Quiet hours: 21:00–08:00 → 22:00–08:00")).toBeVisible();
  });

  test("the automated-text limit per conversation is the owner's to set, within 1 to 60", async ({ page }) => {
    const rate = page.getByTestId("rules-automation-rate");
    const before = await rate.inputValue();
    await rate.fill("0");
    await page.getByTestId("rules-save").click();
    await expect(page.getByTestId("rules-error")).toContainText("between 1 and 60");
    await expect(rate).toHaveValue("0");
    const next = before === "4" ? "5" : "4";
    await rate.fill(next);
    await page.getByTestId("rules-save").click();
    await expect(page.getByText(`Automated texts per conversation per hour: ${before} → ${next}`)).toBeVisible();
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId("rules-automation-rate")).toHaveValue(next);
    await page.getByTestId("rules-automation-rate").fill("3");
    await page.getByTestId("rules-save").click();
    await expect(page.getByText(`Automated texts per conversation per hour: ${next} → 3`)).toBeVisible();
  });

  test("the allow-list: a line that isn't a number is refused by line, and nothing typed is lost", async ({ page }) => {
    const list = page.getByTestId("rules-allowlist");
    const before = await list.inputValue();
    const typed = `${before}\nEmergency: call the office`.trim();
    await list.fill(typed);
    await page.getByTestId("rules-save").click();
    await expect(page.getByTestId("rules-error")).toContainText("isn't a phone number we can text");
    await expect(list).toHaveValue(typed);
    await shot(page, "settings-allowlist-refused");
    await list.fill(`${before}\nEmergency line: 512 555 0166`.trim());
    await page.getByTestId("rules-save").click();
    await expect(page.getByText("Allowed to share: Emergency line (+1 (512) 555-0166) added")).toBeVisible();
    await list.fill(before);
    await page.getByTestId("rules-save").click();
    await expect(page.getByText("Allowed to share: Emergency line (+1 (512) 555-0166) removed")).toBeVisible();
  });

  test("the reply to HELP: refused without STOP, saved, and put back", async ({ page }) => {
    const help = page.getByTestId("rules-help");
    const before = await help.inputValue();
    expect(before).toContain("STOP");
    await help.fill("Happy Tails: call the office on weekdays.");
    await page.getByTestId("rules-save").click();
    await expect(page.getByTestId("rules-error")).toContainText("carriers require it");
    await expect(help).toHaveValue("Happy Tails: call the office on weekdays.");
    await help.fill("Happy Tails: call the office on weekdays. Reply STOP to opt out.");
    await page.getByTestId("rules-save").click();
    await expect(page.getByText("HELP reply: \u201cHappy Tails: call the office on weekdays. Reply STOP to opt out.\u201d")).toBeVisible();
    await shot(page, "settings-help-reply");
    await help.fill(before);
    await page.getByTestId("rules-save").click();
    await expect(page.getByText(/HELP reply: /).last()).toBeVisible();
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId("rules-help")).toHaveValue(before);
  });

  test("health checks, and a failed background job replayed with a reason", async ({ page }) => {
    await expect(page.getByTestId("health-check")).toHaveCount(5);
    await expect(page.getByTestId("health-checks")).toContainText("Demo provider answered in");
    await expect(page.getByTestId("health-check").first()).toHaveAttribute("data-level", "ok");
    await expect(page.getByTestId("provider-status")).toContainText("Demo numbers");
    const job = page.getByTestId("failed-job").filter({ hasText: "Ending a routing override" });
    await expect(job).toContainText("database is locked");
    await job.getByTestId("job-replay").click();
    await page.getByTestId("job-confirm").click();
    await expect(page.getByTestId("job-error")).toContainText("Say why");
    await page.getByTestId("job-reason").fill("The override was already removed; running it again is harmless");
    await shot(page, "settings-failed-job");
    await page.getByTestId("job-confirm").click();
    await expect(page.getByText("Replayed: it runs again now.")).toBeVisible();
    await expect(page.getByTestId("failed-job")).toHaveCount(0);
    await expect(page.getByText("Nothing failed")).toBeVisible();
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
