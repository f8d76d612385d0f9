import { expect, test } from "@playwright/test";
import { hydrated, OWNER, shot, signIn } from "./helpers";

test.describe("audit, as the owner", () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, OWNER);
    await page.goto("/audit");
    await hydrated(page);
  });

  test("filter the timeline, open an event, verify the chain, export the filtered CSV", async ({ page }) => {
    const events = page.getByTestId("audit-event");
    await expect(events.first()).toBeVisible();
    await shot(page, "audit-timeline");

    // Filter by a type that the demo certainly has.
    await page.locator('select[name="actor"]').selectOption("system");
    await page.getByTestId("audit-apply").click();
    await expect(events.first()).toBeVisible();
    const badges = await events.locator("summary").allInnerTexts();
    expect(badges.length).toBeGreaterThan(0);

    // Expand one: details with the event number and payload.
    await events.first().locator("summary").click();
    await expect(events.first()).toContainText("Event #");

    await page.getByTestId("audit-verify").click();
    await expect(page.getByTestId("audit-chain")).toContainText("Chain intact");

    // A bad date range names the problem and keeps the filters.
    await page.locator('input[name="from"]').fill("2026-11-20");
    await page.locator('input[name="to"]').fill("2026-11-10");
    await page.getByTestId("audit-apply").click();
    await expect(page.getByTestId("audit-error")).toContainText("end date is before the start date");
    await expect(page.locator('input[name="from"]')).toHaveValue("2026-11-20");
    await page.getByRole("button", { name: "Clear" }).click();
    await expect(events.first()).toBeVisible();

    await page.locator('select[name="actor"]').selectOption("system");
    await page.getByTestId("audit-apply").click();
    await expect(events.first()).toBeVisible();
    const download = page.waitForEvent("download");
    await page.getByTestId("audit-export").click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const path = await file.path();
    const text = require("fs").readFileSync(path, "utf8") as string;
    const lines = text.trim().split("\n");
    expect(lines[0]).toContain("id,sequence,time_utc,time_local,actor_kind");
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((l) => l.includes(",system,"))).toBeTruthy();
    await shot(page, "audit-verified");
  });
});
