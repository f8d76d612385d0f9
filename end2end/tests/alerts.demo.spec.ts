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

test("an escalation rule: a bad phone refused with the form kept, then added and switched off", async ({ page }) => {
  await signIn(page, OWNER);
  await page.goto("/alerts");
  await hydrated(page);
  await page.getByTestId("escalation-add").click();
  await page.getByTestId("escalation-name").fill("Wake me up");
  await page.getByTestId("escalation-severity").selectOption("critical");
  await page.getByTestId("escalation-minutes").fill("15");
  await page.getByTestId("escalation-action").selectOption("text");
  await page.getByTestId("escalation-target").fill("my cell");
  await page.getByTestId("escalation-save").click();
  await expect(page.getByTestId("escalation-target-error")).toContainText("isn't a phone number");
  await expect(page.getByTestId("escalation-name")).toHaveValue("Wake me up");
  await page.getByTestId("escalation-target").fill("+1 512 555 0199");
  await page.getByTestId("escalation-save").click();
  await expect(page.getByText("Escalation rule added")).toBeVisible();
  const rule = page.getByTestId("escalation-rule").filter({ hasText: "Wake me up" });
  await expect(rule).toContainText("open 15 min → Text +1 (512) 555-0199 from the Front Desk number");
  await shot(page, "alerts-escalation");
  await rule.getByTestId("escalation-toggle").click();
  await expect(rule).toContainText("(off)");
});

test("alert rules: a bad threshold refused with the value kept, then tuned; always-on rules stay on", async ({ page }) => {
  await signIn(page, OWNER);
  await page.goto("/alerts");
  await hydrated(page);
  const rules = page.getByTestId("alert-rule");
  await expect(rules).toHaveCount(9);
  const waiting = page.locator('[data-testid="alert-rule"][data-rule="client_waiting"]');
  await expect(waiting.getByTestId("alert-rule-summary")).toHaveText(
    "After 15 min without a reply (the response-time target in Settings)",
  );
  await waiting.getByTestId("alert-rule-edit").click();
  await waiting.getByTestId("alert-rule-value").fill("0");
  await waiting.getByTestId("alert-rule-save").click();
  await expect(waiting.getByTestId("alert-rule-value-error")).toContainText("from 1 to 1,440");
  await expect(waiting.getByTestId("alert-rule-value")).toHaveValue("0");
  await waiting.getByTestId("alert-rule-value").fill("20");
  await waiting.getByTestId("alert-rule-severity").selectOption("critical");
  await waiting.getByTestId("alert-rule-save").click();
  await expect(page.getByText("Alert rule saved")).toBeVisible();
  await expect(waiting.getByTestId("alert-rule-summary")).toHaveText("After 20 min without a reply");
  await expect(waiting).toContainText("Critical");
  await expect(waiting).toContainText("Changed by Olivia Grant");

  // The failure-rate rule has two numbers; switching a rule off shows "(off)".
  const rate = page.locator('[data-testid="alert-rule"][data-rule="delivery_failure_rate"]');
  await rate.getByTestId("alert-rule-edit").click();
  await rate.getByTestId("alert-rule-value").fill("25");
  await rate.getByTestId("alert-rule-min-sent").fill("50");
  await rate.getByTestId("alert-rule-enabled").uncheck();
  await rate.getByTestId("alert-rule-save").click();
  await expect(rate.getByTestId("alert-rule-summary")).toContainText("25% or more");
  await expect(rate.getByTestId("alert-rule-summary")).toContainText("at least 50 were sent");
  await expect(rate.getByTestId("alert-rule-off")).toBeVisible();

  const frontDesk = page.locator('[data-testid="alert-rule"][data-rule="front_desk_failing"]');
  await expect(frontDesk).toContainText("Always on");
  await expect(frontDesk.getByTestId("alert-rule-edit")).toHaveCount(0);
  await shot(page, "alerts-rules");

  await page.goto("/audit");
  await hydrated(page);
  await expect(page.getByText('changed the alert rule "Client waiting for a reply"').first()).toBeVisible();
});

test("a sitter can't open alerts", async ({ page }) => {
  await signIn(page, SITTER);
  await page.goto("/alerts");
  await hydrated(page);
  await expect(page.getByTestId("owner-only")).toBeVisible();
  await expect(page.getByTestId("alert-card")).toHaveCount(0);
});
