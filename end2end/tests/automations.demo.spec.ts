import { expect, Page, test } from "@playwright/test";
import { hydrated, marker, OWNER, PHONE, shot, signIn, SITTER } from "./helpers";

const ANA = "+17375550100"; // Maya's weekly client (server/src/seed.rs)
const MAYA_NUMBER = "+15125550101";

let sid = Date.now();
async function textIn(page: Page, from: string, to: string, body: string) {
  sid += 1;
  const res = await page.request.post("/webhooks/twilio/sms", {
    form: { MessageSid: `SMauto${sid}`, From: from, To: to, Body: body, NumMedia: "0" },
  });
  expect(res.status()).toBe(200);
}

test("build an automation through every step, refused on an unknown variable, tested, switched on, run by a text", async ({ page }) => {
  const m = marker();
  await signIn(page, OWNER);
  await page.goto("/automations");
  await hydrated(page);
  await expect(page.getByTestId("automation-template")).toHaveCount(3);
  await shot(page, "automations-list");

  await page.getByTestId("automation-new").click();
  // 1. Basics
  await page.getByTestId("automation-name").fill(`Auto reply ${m}`);
  await page.getByTestId("automation-lane").selectOption("client");
  await page.getByTestId("builder-next").click();
  // 2. Trigger
  await page.getByTestId("trigger-message_received").check();
  await page.getByTestId("builder-next").click();
  // 3. Conditions: the text contains the marker AND (started by the client OR on the Front Desk)
  await page.getByTestId("condition-add").click();
  const first = page.getByTestId("condition-0");
  await first.getByTestId("condition-field").selectOption("message.text");
  await first.getByTestId("condition-operator").selectOption("contains");
  await first.getByTestId("condition-value").fill(m);
  await page.getByTestId("condition-group-add").click();
  const grouped = page.getByTestId("condition-0-0");
  await grouped.getByTestId("condition-field").selectOption("thread.started_by");
  await grouped.getByTestId("condition-operator").selectOption("equals");
  await grouped.getByTestId("condition-value").fill("client");
  await shot(page, "automation-builder-conditions");
  await page.getByTestId("builder-next").click();
  // 4. Actions
  await page.getByTestId("action-add-sms").click();
  await expect(page.getByTestId("action-0")).toBeVisible();
  await page.getByTestId("builder-next").click();
  // 5. Messages, with an unknown variable
  const template = page.getByTestId("message-0").getByTestId("message-template");
  await template.fill("Hi {{client.first_name}}, {{pet.name}} is in good hands.");
  await expect(page.getByTestId("message-preview-text")).toContainText("Hi Ana, {{pet.name}} is in good hands.");
  await expect(page.getByTestId("message-unknown")).toContainText("{{pet.name}}");
  await page.getByTestId("var-business.name").click();
  await expect(template).toHaveValue(/\{\{business\.name\}\}$/);
  await shot(page, "automation-builder-messages");
  await page.getByTestId("builder-next").click();
  // 6. Review
  await expect(page.getByTestId("review-trigger")).toHaveText("A client texts");
  await expect(page.getByTestId("review-conditions")).toContainText(`message.text contains "${m}"`);
  await expect(page.getByTestId("review-problems")).toContainText("{{pet.name}}");
  await page.getByTestId("builder-save").click();
  await expect(page).toHaveURL(/\/automations\/\d+/);
  await expect(page.getByTestId("automation-status")).toHaveText("Draft");

  // Switching on is refused and names the unknown variable.
  await page.getByTestId("automation-activate").click();
  await expect(page.getByTestId("automation-status-error")).toContainText("{{pet.name}}");
  await expect(page.getByTestId("automation-status")).toHaveText("Draft");

  // Fix it, save, test (sends nothing), switch on.
  await page.getByTestId("builder-step-4").click();
  await page.getByTestId("message-0").getByTestId("message-template").fill("Hi {{client.first_name}}, thanks for texting {{business.name}}. We'll reply soon.");
  await expect(page.getByTestId("message-unknown")).toHaveCount(0);
  await page.getByTestId("builder-save").click();
  await expect(page.getByTestId("builder-unsaved")).toHaveCount(0);
  await expect(page.getByTestId("automation-tested")).toHaveText("Needs a passing test since the last edit.");
  await page.getByTestId("test-run").click();
  await expect(page.getByTestId("test-result")).toContainText("Test · test passed");
  await expect(page.getByTestId("test-result")).toContainText("would text the client");
  await expect(page.getByTestId("automation-tested")).toHaveText("Tested since the last edit.");
  await shot(page, "automation-tested");
  await page.getByTestId("automation-activate").click();
  await expect(page.getByTestId("automation-status")).toHaveText("Active");

  // A text that matches: the execution log shows the run and its actions.
  await textIn(page, ANA, MAYA_NUMBER, `hello ${m}`);
  const run = page.getByTestId("execution").filter({ has: page.locator('details[data-status="succeeded"]') });
  await expect(async () => {
    await page.getByTestId("execution-refresh").click();
    await expect(run).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await run.locator("summary").click();
  await expect(run.getByTestId("execution-actions")).toContainText(/1\. (queued|scheduled \(quiet hours\)): Hi Ana, thanks for texting/);
  await expect(run).toContainText(`message.text contains "${m}"`);
  await shot(page, "automation-execution-log");

  // The list shows it on, with its run; pause it from there (confirm), then archive it.
  await page.goto("/automations");
  await hydrated(page);
  const row = page.getByTestId("automation-row").filter({ hasText: `Auto reply ${m}` });
  await expect(row).toHaveAttribute("data-status", "active");
  await expect(row).toContainText("A client texts");
  await row.getByTestId("automation-toggle").click();
  await page.getByTestId("confirm-dialog").getByRole("button", { name: "Pause" }).click();
  await expect(row).toHaveAttribute("data-status", "paused");
  await row.getByRole("link").click();
  await page.getByTestId("automation-archive").click();
  await page.getByTestId("confirm-dialog").getByRole("button", { name: "Archive" }).click();
  await expect(page.getByTestId("automation-status")).toHaveText("Archived");
  await page.setViewportSize(PHONE);
  await shot(page, "automation-phone");
});

test("an automation that waits for a sitter who isn't on the roster can't be switched on", async ({ page }) => {
  const m = marker();
  await signIn(page, OWNER);
  await page.goto("/automations/new");
  await hydrated(page);
  await page.getByTestId("automation-name").fill(`Casey's clients ${m}`);
  await page.getByTestId("builder-next").click();
  await page.getByTestId("trigger-message_received").check();
  await page.getByTestId("builder-next").click();
  await page.getByTestId("condition-add").click();
  const cond = page.getByTestId("condition-0");
  await cond.getByTestId("condition-field").selectOption("sitter.first_name");
  await cond.getByTestId("condition-operator").selectOption("equals");
  await cond.getByTestId("condition-value").fill("Casey");
  await page.getByTestId("builder-next").click();
  await page.getByTestId("action-add-sms").click();
  await page.getByTestId("builder-next").click();
  await page.getByTestId("message-0").getByTestId("message-template").fill("Hi {{client.first_name}}, Casey will be in touch.");
  await page.getByTestId("builder-next").click();
  await page.getByTestId("builder-save").click();
  await expect(page).toHaveURL(/\/automations\/\d+/);
  await page.getByTestId("test-run").click();
  await expect(page.getByTestId("test-result")).toContainText("Test · test passed");
  await page.getByTestId("automation-activate").click();
  await expect(page.getByTestId("automation-status-error")).toContainText(
    'Condition 1 looks for the sitter "Casey", who isn\'t an active sitter any more.',
  );
  await expect(page.getByTestId("automation-status")).toHaveText("Draft");
});

test("an automation texts the assigned sitter on their own phone, with the client's contact details hidden", async ({ page }) => {
  const m = marker();
  await signIn(page, OWNER);
  await page.goto("/automations/new");
  await hydrated(page);
  await page.getByTestId("automation-name").fill(`Tell the sitter ${m}`);
  await page.getByTestId("automation-lane").selectOption("operations");
  await page.getByTestId("builder-next").click();
  await page.getByTestId("trigger-message_received").check();
  await page.getByTestId("builder-next").click();
  await page.getByTestId("condition-add").click();
  const cond = page.getByTestId("condition-0");
  await cond.getByTestId("condition-field").selectOption("message.text");
  await cond.getByTestId("condition-operator").selectOption("contains");
  await cond.getByTestId("condition-value").fill(m);
  await page.getByTestId("builder-next").click();
  await page.getByTestId("action-add-sms").click();
  await page.getByTestId("action-0").getByTestId("action-kind").selectOption("sitter");
  await page.getByTestId("builder-next").click();
  await page.getByTestId("message-0").getByTestId("message-template").fill("{{client.first_name}} wrote: {{message.text}}");
  await page.getByTestId("builder-next").click();
  await expect(page.getByTestId("review-actions")).toContainText("Text the assigned sitter:");
  await page.getByTestId("builder-save").click();
  await expect(page).toHaveURL(/\/automations\/\d+/);
  // Test against Ana's conversation on Maya's number, where Maya is the assigned sitter.
  const sample = page.getByTestId("test-thread");
  const ana = sample.locator("option", { hasText: "Ana Lopez · +1 (512) 555-0101" }).first();
  await sample.selectOption((await ana.getAttribute("value")) ?? "");
  await page.getByTestId("test-run").click();
  await expect(page.getByTestId("test-result")).toContainText("Test · test passed");
  await expect(page.getByTestId("test-result")).toContainText("would text Maya Chen (+1 (512) 555-0170) from the Front Desk number");
  await page.getByTestId("automation-activate").click();
  await expect(page.getByTestId("automation-status")).toHaveText("Active");

  await textIn(page, ANA, MAYA_NUMBER, `${m}: the gate code changed, call me on 512 555 0142`);
  const run = page.getByTestId("execution").filter({ has: page.locator('details[data-status="succeeded"]') });
  await expect(async () => {
    await page.getByTestId("execution-refresh").click();
    await expect(run).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await run.locator("summary").click();
  const actions = run.getByTestId("execution-actions");
  await expect(actions).toContainText("1. texting Maya Chen (+1 (512) 555-0170)");
  await expect(actions).toContainText("Ana wrote:");
  await expect(actions).not.toContainText("0142");
  await shot(page, "automation-texts-the-sitter");
  // Switched off again so later runs of the suite start clean.
  await page.getByTestId("automation-archive").click();
  await page.getByTestId("confirm-dialog").getByRole("button", { name: "Archive" }).click();
  await expect(page.getByTestId("automation-status")).toHaveText("Archived");
});

test("a template opens as a draft in the builder", async ({ page }) => {
  await signIn(page, OWNER);
  await page.goto("/automations");
  await hydrated(page);
  await page.getByTestId("automation-template").filter({ hasText: "Nudge when a client waits" }).click();
  await expect(page.getByTestId("automation-name")).toHaveValue("Nudge when a client waits");
  await page.getByTestId("builder-step-1").click();
  await expect(page.getByTestId("trigger-client_unanswered")).toBeChecked();
  await expect(page.getByTestId("trigger-minutes")).toHaveValue("30");
  await page.getByTestId("builder-step-5").click();
  await expect(page.getByTestId("review-ok")).toBeVisible();
  await expect(page.getByTestId("review-actions")).toContainText("Raise a warning alert");
});

test("a sitter can't open automations", async ({ page }) => {
  await signIn(page, SITTER);
  await page.goto("/automations");
  await hydrated(page);
  await expect(page.getByTestId("owner-only")).toBeVisible();
  await expect(page.getByTestId("automation-template")).toHaveCount(0);
});
