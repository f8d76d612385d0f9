import { expect, test } from "@playwright/test";
import { readFileSync } from "fs";
import { hydrated, marker, OWNER, PHONE, shot, signIn, SITTER } from "./helpers";

test("a sitter's blocked text is approved and sent from the violations feed", async ({ browser }) => {
  const m = marker();
  // Maya tries to share a number with Ana: blocked.
  const sitterPage = await (await browser.newContext({ viewport: PHONE })).newPage();
  await signIn(sitterPage, SITTER);
  await hydrated(sitterPage);
  await sitterPage.getByTestId("thread-item").filter({ hasText: "Ana" }).first().click();
  await sitterPage.getByTestId("compose-text").fill(`the vet is at 512 555 0188 ${m}`);
  await sitterPage.getByTestId("send").click();
  await expect(sitterPage.getByTestId("send-refused")).toContainText("Not sent");

  const page = await (await browser.newContext()).newPage();
  await signIn(page, OWNER);
  await page.goto("/audit/violations");
  await hydrated(page);
  const card = page.getByTestId("violation").filter({ hasText: m });
  await expect(card).toHaveCount(1);
  await expect(card.getByTestId("violation-text")).toContainText("███");
  await expect(card.getByTestId("violation-text")).not.toContainText("0188");
  await expect(card).toContainText("Maya");
  await shot(page, "violations-open");

  await card.getByTestId("violation-approve").click();
  await expect(page.getByTestId("impact-list")).toContainText("recorded as your override");
  await page.getByTestId("violation-confirm").click();
  await expect(page.getByTestId("violation-error")).toContainText("Say why");
  await page.getByTestId("violation-note").fill("It's the emergency vet");
  await page.getByTestId("violation-confirm").click();
  await expect(page.getByText("Approved: the text is on its way")).toBeVisible();
  await expect(card).toHaveCount(0);

  await page.getByTestId("violations-approved").click();
  const done = page.getByTestId("violation").filter({ hasText: m });
  await expect(done.getByTestId("violation-reviewed")).toContainText("Approved and sent by Olivia Grant");
  await expect(done.getByTestId("violation-reviewed")).toContainText("It's the emergency vet");
  await shot(page, "violations-approved");

  // The audit trail records the override.
  await page.getByTestId("audit-tab-timeline").click();
  await expect(page.getByTestId("audit-event").filter({ hasText: "approved and sent a stopped text" }).first()).toBeVisible();
});

test("analytics: charts with their tables, a refused date range, and the CSV export", async ({ page }) => {
  await signIn(page, OWNER);
  await page.goto("/audit/analytics");
  await hydrated(page);
  for (const chart of ["chart-sitters", "chart-trend", "chart-volume", "chart-peak"]) {
    await expect(page.getByTestId(chart)).toBeVisible();
  }
  await expect(page.getByTestId("table-sitters").locator("tbody tr").first()).toBeVisible();
  await expect(page.getByTestId("table-volume").locator("tbody tr")).toHaveCount(14);
  await expect(page.getByTestId("table-peak").locator("tbody tr")).toHaveCount(24);
  await expect(page.getByTestId("analytics-replies")).not.toHaveText("0");
  await shot(page, "analytics");

  const download = page.waitForEvent("download");
  await page.getByTestId("analytics-export").click();
  const file = await download;
  const csv = readFileSync(await file.path(), "utf8");
  expect(csv.startsWith("section,name,responses,median_seconds")).toBeTruthy();
  expect(csv).toContain("\nhour,client_messages\n");

  await page.getByTestId("analytics-from").fill("2026-12-20");
  await page.getByTestId("analytics-to").fill("2026-12-01");
  await page.getByTestId("analytics-apply").click();
  await expect(page.getByTestId("analytics-error")).toContainText("The start date is after the end date.");
  await expect(page.getByTestId("analytics-from")).toHaveValue("2026-12-20");
  await page.setViewportSize(PHONE);
});

test("delivery failures: the reason in plain words, marked resolved with a note", async ({ page }) => {
  await signIn(page, OWNER);
  await page.goto("/audit/failures");
  await hydrated(page);
  const first = page.getByTestId("failure").first();
  await expect(first.getByTestId("failure-reason")).not.toBeEmpty();
  await expect(first).toContainText("attempt");
  await shot(page, "failures-open");
  const before = await page.getByTestId("failure").count();
  await first.getByTestId("failure-resolve").click();
  await page.getByTestId("failure-note").fill("Called the client instead");
  await page.getByTestId("failure-confirm").click();
  await expect(page.getByText("Marked resolved")).toBeVisible();
  await expect(page.getByTestId("failure")).toHaveCount(before - 1);
  await page.getByTestId("failures-resolved-tab").click();
  await expect(page.getByTestId("failure-resolved").first()).toContainText("Called the client instead");
});

test("a sitter can't open violations or analytics", async ({ page }) => {
  await signIn(page, SITTER);
  for (const path of ["/audit/violations", "/audit/analytics", "/audit/failures"]) {
    await page.goto(path);
    await hydrated(page);
    await expect(page.getByTestId("owner-only")).toBeVisible();
  }
});
