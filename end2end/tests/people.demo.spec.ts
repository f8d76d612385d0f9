import { expect, test } from "@playwright/test";
import { hydrated, OWNER, PHONE, shot, signIn, SITTER } from "./helpers";

// Shared demo server: this spec previews Jordan's deactivation without doing
// it, and only switches off the sitter it adds itself.

test.describe("people, as the owner", () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, OWNER);
    await page.goto("/people");
    await hydrated(page);
  });

  test("add a sitter who can sign in, activate and deactivate with previews", async ({ page, browser }) => {
    const cards = page.getByTestId("sitter-card");
    await expect(cards).toHaveCount(5);
    await shot(page, "people-sitters");

    // Bad input keeps what was typed and names the problem.
    await page.getByTestId("sitter-add-open").click();
    await page.getByTestId("sitter-name").fill("Tess Moore");
    await page.getByTestId("sitter-phone").fill("12");
    await page.getByTestId("sitter-email").fill("tess@example.com");
    await page.getByTestId("sitter-password").fill("walkies-2026");
    await page.getByTestId("sitter-add-submit").click();
    await expect(page.getByTestId("sitter-add-form").getByRole("alert")).toContainText("isn't a phone number we can text");
    await expect(page.getByTestId("sitter-name")).toHaveValue("Tess Moore");
    await page.getByTestId("sitter-phone").fill("(512) 555-0190");
    await page.getByTestId("sitter-add-submit").click();
    const tess = page.locator('[data-sitter="Tess Moore"]');
    await expect(tess).toBeVisible();
    await expect(tess.getByTestId("sitter-number")).toHaveText("None");

    // Activate: the preview names the number she gets.
    await tess.getByTestId("sitter-toggle").click();
    const dialog = page.getByTestId("confirm-dialog");
    await expect(dialog.getByTestId("impact-list")).toContainText("+1 (512) 555-0105 becomes Tess's number");
    await shot(page, "people-activate-preview");
    await dialog.getByTestId("confirm-button").click();
    await expect(tess.getByTestId("sitter-number")).toHaveText("+1 (512) 555-0105");

    // She can sign in on her phone and sees her (empty) inbox.
    const phone = await browser.newContext({ viewport: PHONE, baseURL: "http://127.0.0.1:3100" });
    const tessPage = await phone.newPage();
    await signIn(tessPage, { email: "tess@example.com", password: "walkies-2026" });
    await expect(tessPage.getByTestId("org-name")).toHaveText("Happy Tails Pet Care");
    await phone.close();

    // Jordan's deactivation, previewed and cancelled: nothing changes.
    const jordan = page.locator('[data-sitter="Jordan Rivera"]');
    await jordan.getByTestId("sitter-toggle").click();
    await expect(dialog.getByTestId("impact-list")).toContainText("+1 (512) 555-0102 goes into quarantine until");
    await expect(dialog.getByTestId("impact-list")).toContainText("open windows close now");
    await expect(dialog.getByTestId("impact-list")).toContainText("Jordan can no longer sign in");
    await shot(page, "people-deactivate-preview");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(jordan.getByTestId("sitter-number")).toHaveText("+1 (512) 555-0102");

    // A new client texts Tess's number, so she has a conversation.
    const res = await page.request.post("/webhooks/twilio/sms", {
      form: { MessageSid: `SMe2etess${Date.now()}`, From: "+17375550188", To: "+15125550105", Body: "Is Tess free for walkies on Friday?", NumMedia: "0" },
    });
    expect(res.status()).toBe(200);

    // Tess is switched off: her number goes into quarantine and the preview
    // says where her conversation goes.
    await tess.getByTestId("sitter-toggle").click();
    const impact = dialog.getByTestId("impact-list");
    await expect(impact).toContainText("+1 (512) 555-0105 goes into quarantine");
    await expect(impact).toContainText("1 conversation moves to the owner inbox on the Front Desk number +1 (512) 555-0100");
    await expect(impact).toContainText("Each moved conversation gets a note");
    await shot(page, "people-deactivate-moves");
    await dialog.getByTestId("confirm-button").click();
    await expect(tess).toContainText("Inactive");
    await expect(tess.getByTestId("sitter-number")).toHaveText("None");
    await expect(tess.getByTestId("sitter-toggle")).toHaveText("Activate");

    // The conversation is now on the Front Desk, with a note saying why.
    await page.goto("/inbox");
    await hydrated(page);
    await page.getByTestId("inbox-search").fill("walkies on Friday");
    await page.getByRole("button", { name: "Search" }).click();
    const item = page.getByTestId("thread-item").first();
    await expect(item).toContainText("Front Desk");
    await item.click();
    const notes = page.getByTestId("messages");
    await expect(notes).toContainText("Tess Moore deactivated");
    await expect(notes).toContainText("this conversation now uses +1 (512) 555-0100");
    await shot(page, "people-deactivated-thread");
  });

  test("clients: search, edit (a bad number is refused and kept), merge an Unknown client", async ({ page }) => {
    // Tom's other phone texts the Front Desk, where Tom already has a conversation.
    const res = await page.request.post("/webhooks/twilio/sms", {
      form: { MessageSid: `SMe2emerge${Date.now()}`, From: "+17375550777", To: "+15125550100", Body: "Tom here, on my work phone", NumMedia: "0" },
    });
    expect(res.status()).toBe(200);

    const search = async (q: string) => {
      await page.getByTestId("client-search").fill(q);
      await page.getByTestId("client-search-go").click();
    };
    await expect(page.getByTestId("client-row").first()).toBeVisible();
    await search("Tom Fischer");
    await expect(page.getByTestId("client-row")).toHaveCount(1);
    await page.getByTestId("client-edit").click();
    const phones = page.getByTestId("client-phones");
    await expect(phones).toHaveValue("+1 (737) 555-0119");
    await phones.fill("+1 (737) 555-0119\ncall me");
    await page.getByTestId("client-notes").fill("Two cats, key under the mat");
    await page.getByTestId("client-save").click();
    await expect(page.getByTestId("client-phones-error")).toContainText("\"call me\" isn't a phone number we can text");
    await expect(page.getByTestId("client-notes")).toHaveValue("Two cats, key under the mat");
    await phones.fill("+1 (737) 555-0119");
    await page.getByTestId("client-save").click();
    await expect(page.getByText("Saved. Notes changed")).toBeVisible();

    await search("0777");
    const unknown = page.getByTestId("client-row");
    await expect(unknown).toHaveCount(1);
    await expect(unknown).toContainText("Unknown");
    await unknown.getByTestId("client-edit").click();
    const tom = await page.getByTestId("merge-into").locator("option", { hasText: "Tom Fischer" }).first().textContent();
    await page.getByTestId("merge-into").selectOption({ label: tom || "Tom Fischer" });
    const impact = page.getByTestId("merge-impact");
    await expect(impact).toContainText("+1 (737) 555-0777 becomes one of Tom Fischer's phone numbers.");
    await expect(impact).toContainText("joins Tom Fischer's existing one there");
    await shot(page, "people-client-merge");
    await page.getByTestId("merge-confirm").click();
    await expect(page.getByText("Merged.")).toBeVisible();
    await search("0777");
    await expect(page.getByTestId("client-row")).toHaveCount(1);
    await expect(page.getByTestId("client-row")).toContainText("Tom Fischer");
    await expect(page.getByTestId("client-row")).toContainText("+1 (737) 555-0777");
    await shot(page, "people-clients");
  });

  test("on a phone the sitters stack", async ({ page }) => {
    await page.setViewportSize(PHONE);
    await expect(page.getByTestId("sitter-card").first()).toBeVisible();
    await shot(page, "people-phone");
  });
});

test("a sitter can't open people", async ({ page }) => {
  await signIn(page, SITTER);
  await page.goto("/people");
  await hydrated(page);
  await expect(page.getByTestId("owner-only")).toBeVisible();
  await expect(page.getByTestId("sitter-card")).toHaveCount(0);
});
