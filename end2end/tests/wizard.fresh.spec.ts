import { expect, Page, test } from "@playwright/test";
import { hydrated, ownerOfFreshInstall, PHONE, shot } from "./helpers";

// Runs after welcome.fresh.spec.ts on the same fresh install (files run in
// name order); creates the owner itself when run alone.
const step = (page: Page) => page.getByTestId("setup-step");

test("demo mode: from an empty database to System ready, leaving mid-way and resuming", async ({ page }) => {
  await ownerOfFreshInstall(page);
  await expect(step(page)).toHaveAttribute("data-step", "1");
  await expect(page.getByTestId("setup-next")).toBeDisabled();
  await expect(page.getByTestId("setup-blocked")).toContainText("Choose demo numbers or connect your Twilio account");

  // Step 1: "Try it with demo numbers", business name and time zone.
  await page.getByTestId("business-name").fill("");
  await page.getByTestId("connect-submit").click();
  await expect(page.getByText("Enter your business name")).toBeVisible();
  await page.getByTestId("business-name").fill("Paws & Co");
  await page.getByTestId("time-zone").selectOption("America/Denver");
  await page.getByTestId("mode-demo").check();
  await shot(page, "setup-1-connect");
  await page.getByTestId("connect-submit").click();

  // Steps 1 and 2 are done (the connection test read the account).
  await expect(step(page)).toHaveAttribute("data-step", "3");
  await expect(page.getByTestId("setup-step-link").nth(0)).toHaveAttribute("data-state", "done");
  await expect(page.getByTestId("setup-step-link").nth(1)).toHaveAttribute("data-state", "done");
  await page.getByTestId("setup-step-link").nth(1).click();
  await expect(page.getByTestId("account-checks")).toContainText("Demo provider");
  await expect(page.getByTestId("account-checks")).toContainText("$50.00");
  await page.getByTestId("verify-again").click();
  await expect(page.getByTestId("account-checks")).toContainText("Active");
  await shot(page, "setup-2-verify");
  await page.getByTestId("setup-next").click();

  // Step 3: search by area code, see the cost, confirm the purchase.
  await expect(step(page)).toHaveAttribute("data-step", "3");
  await expect(page.getByTestId("setup-next")).toBeDisabled();
  await page.getByTestId("fd-area").fill("720");
  await page.getByTestId("fd-search").click();
  await page.getByTestId("fd-offer").first().getByRole("button", { name: "Choose" }).click();
  await expect(page.getByTestId("fd-confirm-panel")).toContainText("$1.15 a month");
  await shot(page, "setup-3-front-desk");
  await page.getByTestId("fd-buy").click();
  await expect(page.getByTestId("have-front_desk")).toContainText("You have 1 Front Desk number");
  await page.getByTestId("setup-next").click();
  await expect(step(page)).toHaveAttribute("data-step", "4");

  // Leave mid-way; coming back resumes at step 4.
  await page.goto("/");
  await hydrated(page);
  await page.goto("/setup");
  await hydrated(page);
  await expect(step(page)).toHaveAttribute("data-step", "4");

  // Step 4: import a list (one bad line is reported and kept), then bulk buy.
  await page.getByTestId("bulk-import-list").fill("+1 720 555 0188\nnot-a-number");
  await page.getByTestId("bulk-import").click();
  await expect(page.getByTestId("bulk-progress")).toContainText("Done: 1 of 2 added, 1 failed");
  await expect(page.getByTestId("bulk-result").filter({ hasText: "not-a-number" })).toHaveAttribute("data-ok", "false");
  await expect(page.getByTestId("bulk-import-list")).toHaveValue("not-a-number");
  await page.getByTestId("bulk-area").fill("720");
  await page.getByTestId("bulk-count").fill("0");
  await page.getByTestId("bulk-find").click();
  await expect(page.getByTestId("setup-error")).toContainText("1 to 50");
  await page.getByTestId("bulk-count").fill("3");
  await page.getByTestId("bulk-find").click();
  await expect(page.getByTestId("bulk-confirm-panel")).toContainText("3 numbers found, $1.15 a month each");
  await page.getByTestId("bulk-buy").click();
  await expect(page.getByTestId("bulk-progress")).toContainText("Done: 3 of 3 added");
  await expect(page.getByTestId("bulk-progress").getByRole("progressbar")).toHaveAttribute("aria-valuenow", "3");
  await expect(page.getByTestId("have-sitter")).toContainText("You have 4 sitter numbers");
  await shot(page, "setup-4-sitter-numbers");
  await page.getByTestId("setup-next").click();

  // Step 5 is optional.
  await expect(step(page)).toHaveAttribute("data-step", "5");
  await page.getByTestId("setup-skip").click();
  await expect(step(page)).toHaveAttribute("data-step", "6");
  await expect(page.getByTestId("setup-step-link").nth(4)).toHaveAttribute("data-state", "skipped");

  // Step 6: the hookup, checked number by number.
  await expect(page.getByTestId("setup-next")).toBeDisabled();
  await page.getByTestId("hookup-run").click();
  await expect(page.getByTestId("hookup-results")).toContainText("5 of 5 numbers connected.");
  await shot(page, "setup-6-hookup");
  await page.getByTestId("setup-next").click();

  // Step 7: every readiness check, then Finish.
  await expect(step(page)).toHaveAttribute("data-step", "7");
  await expect(page.getByTestId("readiness-check")).toHaveCount(3);
  for (const c of await page.getByTestId("readiness-check").all()) {
    await expect(c).toHaveAttribute("data-ok", "true");
  }
  await page.getByTestId("setup-next").click();
  // Finishing reloads the page so the "texting is off" banner goes away.
  await expect(page.getByTestId("system-ready")).toContainText("System ready");
  await expect(page.getByTestId("readiness-banner")).toHaveCount(0);
  await hydrated(page);
  await shot(page, "setup-7-ready");
  await page.setViewportSize(PHONE);
  await expect(page.getByTestId("setup-progress-bar")).toContainText("Step 7 of 7");
  await shot(page, "setup-7-ready-phone");
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.getByTestId("to-dashboard").click();
  await hydrated(page);
  await expect(page.getByTestId("org-name")).toHaveText("Paws & Co");
  await expect(page.getByTestId("readiness-banner")).toHaveCount(0);

  // Settings shows the provider and re-opens the wizard.
  await page.goto("/settings");
  await hydrated(page);
  await expect(page.getByTestId("provider-status")).toContainText("Demo numbers");
  await expect(page.getByTestId("provider-status")).toContainText("System ready");
  await page.getByTestId("rerun-setup").click();
  await expect(step(page)).toHaveAttribute("data-step", "7");
});
