import { expect, test } from "@playwright/test";
import { hydrated, OWNER, PHONE, shot, signIn, SITTER } from "./helpers";

const TZ = "America/Chicago"; // the demo business's time zone

/** YYYY-MM-DD in the business's time zone, `days` from today. */
function day(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toLocaleDateString("en-CA", { timeZone: TZ });
}

test.describe("assignments, as the owner", () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, OWNER);
    await page.goto("/assignments");
    await hydrated(page);
    await expect(page.getByTestId("calendar-week")).toBeVisible();
  });

  test("assign through the preview and see the window on the calendar", async ({ page }) => {
    await expect(page.getByTestId("calendar-block").first()).toBeVisible();
    await shot(page, "assignments-week");
    const when = day(3);
    await page.getByTestId("assign-open").click();
    await page.getByTestId("assign-sitter").selectOption({ label: "Maya Chen" });
    await page.getByTestId("assign-client").selectOption({ label: "Tom Fischer" });
    await page.getByTestId("assign-starts").fill(`${when}T09:00`);
    await page.getByTestId("assign-ends").fill(`${when}T17:00`);
    await page.getByTestId("assign-preview").click();
    await expect(page.getByTestId("assign-summary")).toContainText("Maya will text Tom from +1 (512) 555-0101");
    await expect(page.getByTestId("assign-message")).toContainText("Maya will look after your pets");
    await shot(page, "assignments-preview");
    await page.getByTestId("assign-confirm").click();
    await expect(page.getByTestId("assign-form")).toHaveCount(0);
    if ((await page.locator(`[data-testid="calendar-day"][data-day="${when}"]`).count()) === 0) {
      await page.getByTestId("week-next").click();
    }
    const column = page.locator(`[data-testid="calendar-day"][data-day="${when}"]`);
    await expect(column.getByTestId("calendar-block").filter({ hasText: "Maya · Tom Fischer" })).toContainText("9 AM – 5 PM");

    // The same window again overlaps: refused, with the way to the conflicts view.
    await page.getByTestId("assign-open").click();
    await page.getByTestId("assign-sitter").selectOption({ label: "Maya Chen" });
    await page.getByTestId("assign-client").selectOption({ label: "Tom Fischer" });
    await page.getByTestId("assign-starts").fill(`${when}T12:00`);
    await page.getByTestId("assign-ends").fill(`${when}T19:00`);
    await page.getByTestId("assign-preview").click();
    await expect(page.getByTestId("assign-error")).toContainText("overlaps Maya's window");
    await expect(page.getByTestId("assign-starts")).toHaveValue(`${when}T12:00`);
    await page.getByTestId("see-conflicts").click();
    const conflict = page.getByTestId("conflict").first();
    await expect(conflict).toContainText("two sitters at once");
    await shot(page, "assignments-conflicts");
    await conflict.getByTestId("conflict-fix").filter({ hasText: "Split at" }).click();
    await expect(page.getByText("No conflicts")).toBeVisible();
  });

  test("list view filters, edits and deletes with an impact preview", async ({ page }) => {
    await page.getByTestId("view-list").click();
    await page.getByTestId("filter-from").fill(day(-10));
    await page.getByTestId("filter-to").fill(day(10));
    await expect(page.getByTestId("window-row").first()).toBeVisible();
    await page.getByTestId("filter-status").selectOption("active");
    await expect(page.getByTestId("window-row").first()).toContainText("Active");
    await page.getByTestId("filter-status").selectOption("future");
    const row = page.getByTestId("window-row").first();
    await expect(row).toContainText("Upcoming");
    await expect(page.getByTestId("filter-status")).toHaveValue("future");
    await shot(page, "assignments-list");
    await row.getByTestId("window-edit").click();
    await expect(page.getByTestId("edit-impact")).toContainText("will get");
    await page.getByTestId("edit-ends").fill("2020-01-01T10:00");
    await page.getByTestId("edit-save").click();
    await expect(page.getByTestId("edit-error")).toContainText("already be over");
    await page.getByRole("button", { name: "Cancel" }).click();
    const count = await page.getByTestId("window-row").count();
    await row.getByTestId("window-delete").click();
    await expect(page.getByTestId("impact-list")).toContainText("audit trail");
    await page.getByTestId("confirm-button").click();
    await expect(page.getByTestId("window-row")).toHaveCount(count - 1);
  });

  test("the day view draws each window across the day", async ({ page }) => {
    await page.getByTestId("view-day").click();
    await expect(page.getByTestId("day-row").first()).toBeVisible();
    await shot(page, "assignments-day");
  });
});

test.describe("the sitter's schedule on a phone", () => {
  test.use({ viewport: PHONE });

  test("shows their own windows, clients by first name", async ({ page }) => {
    await signIn(page, SITTER);
    await page.goto("/schedule");
    await hydrated(page);
    await expect(page.getByTestId("schedule-item").first()).toBeVisible();
    for (const name of await page.getByTestId("schedule-client").allTextContents()) {
      expect(name.trim()).not.toContain(" ");
    }
    await shot(page, "schedule-sitter-phone");
  });
});
