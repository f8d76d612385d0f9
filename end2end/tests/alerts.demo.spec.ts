import { expect, test } from "@playwright/test";
import { hydrated, OWNER, PHONE, shot, signIn, SITTER } from "./helpers";

// The demo opens with two alerts (server/src/seed.rs): a critical one about
// the Front Desk and a warning about Tom waiting. Runs first on the shared
// demo server, so it closes both.
test("alerts by severity: a warning dismissed, the critical one only resolvable, both in the archive", async ({ page }) => {
  await signIn(page, OWNER);
  await page.goto("/alerts");
  await hydrated(page);
  const critical = page.getByTestId("alerts-critical").getByTestId("alert-card");
  const warning = page.getByTestId("alerts-warning").getByTestId("alert-card");
  await expect(critical).toHaveCount(1);
  await expect(critical).toContainText("+1 (512) 555-0100 is failing to deliver");
  await expect(critical.getByTestId("alert-dismiss")).toHaveCount(0);
  await expect(critical.getByTestId("alert-critical-note")).toHaveText("Critical: resolve only");
  await expect(warning).toContainText("Tom Fischer is waiting for a reply");
  await shot(page, "alerts-open");

  await warning.getByTestId("alert-dismiss").click();
  await page.getByTestId("alert-confirm").click();
  await expect(page.getByText("Alert dismissed")).toBeVisible();
  await expect(page.getByTestId("alerts-warning")).toHaveCount(0);

  await critical.getByTestId("alert-resolve").click();
  await page.getByTestId("alert-note").fill("Called Uma; she has a new phone");
  await page.getByTestId("alert-confirm").click();
  await expect(page.getByText("All clear")).toBeVisible();

  await page.getByTestId("alerts-archive-tab").click();
  await expect(page.getByTestId("alert-closed")).toHaveCount(2);
  await expect(page.getByTestId("alert-closed").filter({ hasText: "Resolved by Olivia Grant" })).toContainText(
    "Called Uma; she has a new phone",
  );
  await expect(page.getByTestId("alert-closed").filter({ hasText: "Dismissed by Olivia Grant" })).toHaveCount(1);
  await page.setViewportSize(PHONE);
  await shot(page, "alerts-archive-phone");
});

test("a sitter can't open alerts", async ({ page }) => {
  await signIn(page, SITTER);
  await page.goto("/alerts");
  await hydrated(page);
  await expect(page.getByTestId("owner-only")).toBeVisible();
  await expect(page.getByTestId("alert-card")).toHaveCount(0);
});
