import { expect, Page, test } from "@playwright/test";
import { createHmac } from "node:crypto";
import { hydrated, OWNER, PHONE, shot, signIn, SITTER } from "./helpers";

// The demo business on a Twilio account (start-server.sh twilio-demo):
// webhooks are signed, attachments are fetched from the media stand-in.
const BASE = "http://127.0.0.1:3104";
const MEDIA = "http://127.0.0.1:4011";
const TOKEN = "e2e-auth-token-5c1d";
const ACCOUNT = "AC0123456789abcdef0123456789abcdef";
const ANA = "+17375550100"; // Maya's weekly client, window active now
const MAYA_NUMBER = "+15125550101";

/** X-Twilio-Signature: HMAC-SHA1 of the URL and the sorted parameters. */
function sign(url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, k) => acc + k + params[k], url);
  return createHmac("sha1", TOKEN).update(data).digest("base64");
}

async function mmsIn(page: Page, sid: string, body: string) {
  const params: Record<string, string> = {
    MessageSid: sid,
    AccountSid: ACCOUNT,
    From: ANA,
    To: MAYA_NUMBER,
    Body: body,
    NumMedia: "3",
    MediaUrl0: `${MEDIA}/media/page`,
    MediaContentType0: "text/html",
    MediaUrl1: `${MEDIA}/media/drawing`,
    MediaContentType1: "image/svg+xml",
    MediaUrl2: `${MEDIA}/media/photo`,
    MediaContentType2: "image/png",
  };
  const url = `${BASE}/webhooks/twilio/sms`;
  const res = await page.request.post(url, { form: params, headers: { "X-Twilio-Signature": sign(url, params) } });
  expect(res.status()).toBe(200);
}

/** Records every dialog any page of the context raises (the attack's alert). */
function watchDialogs(page: Page, seen: string[]) {
  const watch = (p: Page) =>
    p.on("dialog", async (d) => {
      seen.push(d.message());
      await d.dismiss();
    });
  watch(page);
  page.context().on("page", watch);
}

async function apiKeyCount(page: Page): Promise<number> {
  await page.goto("/settings");
  await hydrated(page);
  const table = page.getByTestId("api-keys");
  const empty = page.getByText("No API keys yet");
  await expect(table.or(empty)).toBeVisible();
  return (await empty.isVisible()) ? 0 : await page.getByTestId("api-key-row").count();
}

/** Opens every attachment of the message the way a person would. */
async function openEach(page: Page, body: string) {
  const bubble = page.getByTestId("message").filter({ hasText: body });
  await expect(bubble.getByTestId("media")).toHaveCount(1, { timeout: 20_000 });
  await expect(bubble.getByTestId("media-download")).toHaveCount(2);
  // The picture is shown; what it really is came from its bytes.
  const img = bubble.getByTestId("media");
  await expect(img).toHaveJSProperty("naturalWidth", 1);
  // The page and the drawing are only ever downloads.
  for (const link of await bubble.getByTestId("media-download").all()) {
    const href = (await link.getAttribute("href")) || "";
    expect(href).toMatch(/^\/media\/\d+\?exp=\d+&sig=/);
    const res = await page.request.get(href);
    expect(res.headers()["content-type"]).toBe("application/octet-stream");
    expect(res.headers()["content-disposition"]).toMatch(/^attachment/);
    expect(res.headers()["x-content-type-options"]).toBe("nosniff");
    expect(res.headers()["content-security-policy"]).toContain("sandbox");
    const download = page.waitForEvent("download");
    await link.click();
    await download;
    // Even opened on its own in a tab, nothing runs.
    const tab = await page.context().newPage();
    await tab.goto(href).catch(() => undefined);
    await tab.waitForTimeout(300);
    await tab.close();
  }
}

test("hostile attachments opened by the owner and by the sitter run nothing and create nothing", async ({ page, browser }) => {
  const owner = page;
  const dialogs: string[] = [];
  watchDialogs(owner, dialogs);
  await signIn(owner, OWNER);
  const keysBefore = await apiKeyCount(owner);
  const body = `Look at this ${Date.now().toString(36).replace(/[0-9]/g, "x")}`;
  await mmsIn(owner, `SMxss${Date.now()}`, body);

  await owner.goto("/inbox");
  await hydrated(owner);
  await owner.getByTestId("thread-item").filter({ hasText: "Ana Lopez" }).first().click();
  await openEach(owner, body);
  await shot(owner, "attachments-owner");

  const sitterContext = await browser.newContext({ viewport: PHONE, baseURL: BASE });
  const sitter = await sitterContext.newPage();
  watchDialogs(sitter, dialogs);
  await signIn(sitter, SITTER);
  await sitter.goto("/inbox");
  await hydrated(sitter);
  await sitter.getByTestId("thread-item").filter({ hasText: "Ana" }).first().click();
  await openEach(sitter, body);
  await shot(sitter, "attachments-sitter-phone");

  expect(dialogs, "no script ran").toEqual([]);
  expect(await apiKeyCount(owner)).toBe(keysBefore);
  await sitterContext.close();
});
