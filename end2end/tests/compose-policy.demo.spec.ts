import { expect, Page, test } from "@playwright/test";
import { hydrated, OWNER, PHONE, shot, signIn, SITTER } from "./helpers";

// The compose box's warning is the send's own verdict (SPEC §3.5): it runs
// the server's check in the browser with the business's rules, allow-list
// and the sender's recent texts, so what it says before sending (with no
// request while typing) is what sending then does.

const VET = "512 555 0188";

async function setRules(page: Page, url: string, social: string, allow: (current: string) => string) {
  await signIn(page, OWNER);
  await page.goto("/settings");
  await hydrated(page);
  await page.getByTestId("rules-policy-url").selectOption(url);
  await page.getByTestId("rules-policy-social").selectOption(social);
  const list = page.getByTestId("rules-allowlist");
  await list.fill(allow(await list.inputValue()));
  await page.getByTestId("rules-save").click();
  await expect(page.getByTestId("toast").filter({ hasText: "Saved" })).toBeVisible();
}

/**
 * Types `body`, reads the warning, and checks that nothing typed went to the
 * server: no request carries the text and nothing is sent. (The inbox's own
 * live refreshes, when another test's text arrives, may still run.)
 */
async function typeAndRead(page: Page, body: string): Promise<string | null> {
  const posts: string[] = [];
  const word = body.split(/[^A-Za-z0-9]+/).reduce((a, b) => (b.length > a.length ? b : a), "");
  const seen = (r: { method(): string; url(): string; postData(): string | null }) => {
    if (r.method() === "GET") return;
    const carriesText = (r.postData() ?? "").includes(word) || decodeURIComponent(r.url()).includes(word);
    if (carriesText || /send_message|post_reply/.test(r.url())) posts.push(r.url());
  };
  page.on("request", seen);
  await page.getByTestId("compose-text").pressSequentially(body, { delay: 5 });
  const warning = page.getByTestId("policy-warning");
  const text = (await warning.count()) ? await warning.innerText() : null;
  page.off("request", seen);
  expect(posts, "typing sends nothing to the server").toEqual([]);
  return text;
}

async function openAna(page: Page, name: string) {
  await page.getByTestId("thread-item").filter({ hasText: name }).first().click();
  await expect(page.getByTestId("thread-client-name")).toHaveText(name);
  await expect(page.getByTestId("compose-text")).toBeVisible();
}

test.describe("the compose box says what sending will do", () => {
  test.use({ viewport: PHONE });

  test.beforeAll(async ({ browser }) => {
    const page = await browser.newPage();
    await setRules(page, "log", "hold", (current) => `${current}\nRiverside Vet: ${VET}`.trim());
    await page.close();
  });

  test.afterAll(async ({ browser }) => {
    const page = await browser.newPage();
    await setRules(page, "block", "block", (current) =>
      current
        .split("\n")
        .filter((l) => !l.startsWith("Riverside Vet"))
        .join("\n"),
    );
    await page.close();
  });

  test("as the sitter: allow-listed, log only, hold, and a number split over two texts", async ({ page }) => {
    await signIn(page, SITTER);
    await hydrated(page);
    await openAna(page, "Ana");

    // The vet's allow-listed number: no warning, and it goes.
    const vet = `The vet is ${VET} if Max limps`;
    expect(await typeAndRead(page, vet)).toBeNull();
    await page.getByTestId("send").click();
    await expect(page.getByTestId("compose-text")).toHaveValue("");
    await expect(page.getByTestId("message").filter({ hasText: "if Max limps" }).last()).toBeVisible();

    // A web link is log-only: sent, and recorded for the owner.
    const link = "Photos are up: mayawalks.com/today";
    expect(await typeAndRead(page, link)).toContain("It will be sent, and recorded for the owner.");
    await page.getByTestId("send").click();
    await expect(page.getByTestId("compose-text")).toHaveValue("");
    await expect(page.getByTestId("send-refused")).toHaveCount(0);

    // A social handle is held for review.
    const handle = "Max is famous now, insta @mayawalksdogs";
    expect(await typeAndRead(page, handle)).toContain("held for the owner's review");
    await shot(page, "compose-policy-sitter-held");
    await page.getByTestId("send").click();
    await expect(page.getByTestId("send-refused")).toContainText("Held for the owner's review");
    await page.getByTestId("compose-text").fill("");

    // Half a number goes; the second half is caught with the first.
    expect(await typeAndRead(page, "Okay, write this down: 512 555")).toBeNull();
    await page.getByTestId("send").click();
    await expect(page.getByTestId("message").filter({ hasText: "write this down" }).last()).toBeVisible();
    expect(await typeAndRead(page, "0123 when you can")).toContain("It will be blocked");
    await page.getByTestId("send").click();
    await expect(page.getByTestId("send-refused")).toContainText("Not sent");
  });

  test("as the owner: allow-listed goes, a split number asks to confirm", async ({ page }) => {
    await signIn(page, OWNER);
    await page.goto("/inbox");
    await hydrated(page);
    await openAna(page, "Ana Lopez");

    expect(await typeAndRead(page, `Riverside Vet: ${VET}`)).toBeNull();
    await page.getByTestId("send").click();
    await expect(page.getByTestId("compose-text")).toHaveValue("");
    await expect(page.getByTestId("policy-confirm")).toHaveCount(0);

    expect(await typeAndRead(page, "Office line: 512 555")).toBeNull();
    await page.getByTestId("send").click();
    await expect(page.getByTestId("message").filter({ hasText: "Office line: 512 555" }).last()).toBeVisible();
    expect(await typeAndRead(page, "0199 after five")).toContain("You'll be asked to confirm before it goes.");
    await shot(page, "compose-policy-owner-confirm");
    await page.getByTestId("send").click();
    await expect(page.getByTestId("policy-confirm")).toContainText("phone number");
  });
});
