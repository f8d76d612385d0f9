import { expect, Page, test } from "@playwright/test";
import { hydrated, marker, OWNER, PHONE, shot, signIn, SITTER } from "./helpers";

// Demo clients (see server/src/seed.rs).
const ANA = "+17375550100"; // Maya's weekly client, window active now
const TOM = "+17375550119"; // Front Desk, nobody assigned
const MAYA_NUMBER = "+15125550101";
const FRONT_DESK = "+15125550100";

let sid = Date.now();
/** An incoming text, as Twilio would post it (the demo business is in Demo mode). */
async function textIn(page: Page, from: string, to: string, body: string) {
  sid += 1;
  const res = await page.request.post("/webhooks/twilio/sms", {
    form: { MessageSid: `SMe2e${sid}`, From: from, To: to, Body: body, NumMedia: "0" },
  });
  expect(res.status()).toBe(200);
}

/** Opens a client's conversation; `line` picks the number ("Front Desk") when the client has several. */
async function openThread(page: Page, client: string, line?: string) {
  let item = page.getByTestId("thread-item").filter({ hasText: client });
  if (line) item = item.filter({ hasText: line });
  await item.first().click();
  await expect(page.getByTestId("thread-client-name")).toHaveText(client);
}

test.describe("owner inbox", () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, OWNER);
    await page.goto("/inbox");
    await hydrated(page);
    await expect(page.getByTestId("thread-item").first()).toBeVisible();
  });

  test("search by client, message text, sitter and number, and each quick filter", async ({ page }) => {
    const search = async (q: string) => {
      await page.getByTestId("inbox-search").fill(q);
      await page.getByRole("button", { name: "Search" }).click();
    };
    await search("Ana Lopez");
    await expect(page.getByTestId("thread-client")).toHaveText(["Ana Lopez"]);
    await search("limping");
    await expect(page.getByTestId("thread-client").first()).toBeVisible();
    for (const name of await page.getByTestId("thread-client").allTextContents()) {
      expect(name.length).toBeGreaterThan(0);
    }
    await search("Jordan");
    await expect(page.getByTestId("thread-client").filter({ hasText: "George Miller" })).toHaveCount(1);
    await search("555-0150");
    await expect(page.getByTestId("thread-client")).toContainText(["Zoe Hughes"]);
    await search("no such thing anywhere");
    await expect(page.getByTestId("inbox-empty")).toBeVisible();
    await search("");

    await page.getByTestId("filter-violations").click();
    await expect(page.getByTestId("thread-client").filter({ hasText: "Victor Chen" })).toHaveCount(1);
    for (const item of await page.getByTestId("thread-item").all()) await expect(item).toContainText("Violation");
    await page.getByTestId("filter-failures").click();
    await expect(page.getByTestId("thread-client").filter({ hasText: "Uma Krishnan" })).toHaveCount(1);
    for (const item of await page.getByTestId("thread-item").all()) await expect(item).toContainText("Delivery failed");
    await page.getByTestId("filter-unread").click();
    await expect(page.getByTestId("unread-badge").first()).toBeVisible();
    const unreadItems = await page.getByTestId("thread-item").count();
    expect(unreadItems).toBeGreaterThan(0);
    await expect(page.getByTestId("thread-item")).toHaveCount(await page.getByTestId("unread-badge").count());
    await page.getByTestId("filter-assigned").click();
    await expect(page.getByTestId("thread-item").first()).toContainText("until");
    await page.getByTestId("filter-unassigned").click();
    await expect(page.getByTestId("thread-item").first()).toContainText("Unassigned");
    await page.getByTestId("filter-all").click();
    await page.getByTestId("inbox-sort").selectOption("client_name");
    await expect(page.getByTestId("thread-client").first()).toHaveText("Aaron Webb");
    await shot(page, "inbox-owner-list");
  });

  test("open a thread, send, and see delivered arrive live", async ({ page }) => {
    await openThread(page, "Tom Fischer", "Front Desk");
    await expect(page.getByTestId("thread-contacts")).toContainText("+1 (737) 555-0119");
    const text = `Thanks Tom, see you Monday at 9! (${marker()})`;
    await page.getByTestId("compose-text").fill(text);
    await expect(page.getByTestId("sms-counter")).toContainText("GSM-7 · 1 segment");
    await page.getByTestId("send").click();
    const mine = page.getByTestId("message").filter({ hasText: text });
    await expect(mine).toBeVisible();
    await expect(mine.getByTestId("delivery-status")).toHaveText("Delivered", { timeout: 10_000 });
    await expect(page.getByTestId("compose-text")).toHaveValue("");
    await shot(page, "inbox-owner-thread");
  });

  test("a curly quote is pointed out and replaced in one click", async ({ page }) => {
    await openThread(page, "Tom Fischer", "Front Desk");
    await page.getByTestId("compose-text").fill("Max\u2019s walk went great");
    await expect(page.getByTestId("sms-counter")).toContainText("UCS-2");
    await page.getByTestId("use-plain").click();
    await expect(page.getByTestId("compose-text")).toHaveValue("Max's walk went great");
    await expect(page.getByTestId("sms-counter")).toContainText("GSM-7");
  });

  test("retry a failed delivery", async ({ page }) => {
    await page.getByTestId("filter-failures").click();
    await openThread(page, "Uma Krishnan");
    const failed = page.getByTestId("message").filter({ has: page.getByTestId("retry") }).first();
    await expect(failed.getByTestId("failure-reason")).toContainText("unreachable");
    await failed.getByTestId("retry").click();
    await expect(page.getByTestId("toast").filter({ hasText: "Sending again" })).toBeVisible();
    // The Demo provider's unreachable number fails again, with its reason.
    await expect(page.getByTestId("failure-reason").first()).toContainText("unreachable", { timeout: 10_000 });
  });

  test("a policy warning, then send anyway", async ({ page }) => {
    await openThread(page, "Tom Fischer", "Front Desk");
    await page.getByTestId("compose-text").fill("The vet's after-hours line is 512 555 9988");
    await expect(page.getByTestId("policy-warning")).toContainText("phone number");
    await page.getByTestId("send").click();
    await expect(page.getByTestId("policy-confirm")).toContainText("The vet's after-hours line is ███");
    await shot(page, "inbox-owner-policy-confirm");
    await page.getByTestId("send-anyway").click();
    await expect(page.getByTestId("message").filter({ hasText: "512 555 9988" }).last()).toBeVisible();
  });

  test("the routing badge explains why, and the replay is identical", async ({ page }) => {
    await openThread(page, "Tom Fischer", "Front Desk");
    await page.getByTestId("routing-badge").first().click();
    const why = page.getByTestId("why-dialog");
    await expect(why.getByTestId("decision-reason")).toContainText("Routed to owner inbox because no sitter is assigned");
    await expect(why.getByTestId("trace-step")).toHaveCount(6);
    await expect(why.getByTestId("replay")).toContainText("identical");
    await shot(page, "inbox-why");
  });

  test("a new text shows up in the open inbox without reloading", async ({ page }) => {
    await openThread(page, "Tom Fischer", "Front Desk");
    await page.waitForFunction(() => (window as any).__leashline_live === true);
    const body = `Live check ${marker()}`;
    const started = Date.now();
    await textIn(page, TOM, FRONT_DESK, body);
    await expect(page.getByTestId("message").filter({ hasText: body })).toBeVisible({ timeout: 5_000 });
    const ms = Date.now() - started;
    console.log(`webhook-to-screen: ${ms} ms`);
    test.info().annotations.push({ type: "webhook-to-screen-ms", description: String(ms) });
  });
});

test.describe("sitter on a phone", () => {
  test.use({ viewport: PHONE });

  test.beforeEach(async ({ page }) => {
    await signIn(page, SITTER);
    await expect(page).toHaveURL(/\/inbox$/);
    await hydrated(page);
  });

  test("sees only own active threads, by first name, and gets live messages", async ({ page }) => {
    const names = await page.getByTestId("thread-client").allTextContents();
    expect(names.sort()).toEqual(["Ana", "Zoe"]);
    await expect(page.getByTestId("inbox-search")).toBeVisible();
    await shot(page, "inbox-sitter-phone-list");
    await openThread(page, "Ana");
    await expect(page.getByTestId("thread-contacts")).toHaveCount(0);
    await expect(page.locator("body")).not.toContainText("737");
    await page.waitForFunction(() => (window as any).__leashline_live === true);
    const body = `Is Max OK? ${marker()}`;
    await textIn(page, ANA, MAYA_NUMBER, body);
    await expect(page.getByTestId("message").filter({ hasText: body })).toBeVisible({ timeout: 5_000 });
    await shot(page, "inbox-sitter-phone-thread");
    await page.getByTestId("back").click();
    await expect(page.getByTestId("thread-list")).toBeVisible();
  });

  test("is warned while typing a number and blocked on send", async ({ page }) => {
    await openThread(page, "Ana");
    await page.getByTestId("compose-text").fill("text me at 512 555 1234 next time");
    await expect(page.getByTestId("policy-warning")).toContainText("blocked");
    await page.getByTestId("send").click();
    await expect(page.getByTestId("send-refused")).toContainText("Not sent");
    await expect(page.getByTestId("compose-text")).toHaveValue("text me at 512 555 1234 next time");
    await expect(page.getByTestId("message").filter({ hasText: "512 555 1234" }).last()).toContainText("Blocked");
    await shot(page, "inbox-sitter-blocked");
  });

  test("is refused outside the window: past visits are read-only, other threads closed", async ({ page }) => {
    await page.getByTestId("show-past").check();
    await expect(page.getByTestId("thread-item").first()).toBeVisible();
    await page.getByTestId("thread-item").first().click();
    await expect(page.getByTestId("compose-disabled")).toContainText("read-only");
    // Tom's thread isn't Maya's at all.
    await page.goto("/inbox");
    const res = await page.request.get("/inbox");
    expect(res.status()).toBe(200);
  });
});
