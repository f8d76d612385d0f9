import { expect, Page, test } from "@playwright/test";
import { hydrated, PHONE, shot, signIn, SITTER } from "./helpers";

const ANA = "+17375550100"; // Maya's weekly client, window active now
const MAYA_NUMBER = "+15125550101";

let sid = Date.now();
async function textIn(page: Page, body: string) {
  sid += 1;
  const res = await page.request.post("/webhooks/twilio/sms", {
    form: { MessageSid: `SMsplit${sid}`, From: ANA, To: MAYA_NUMBER, Body: body, NumMedia: "0" },
  });
  expect(res.status()).toBe(200);
}

/** Any three consecutive digits of `number` among the digits of `text`. */
function partOf(text: string, number: string): string | undefined {
  const d = text.replace(/\D/g, "");
  for (let i = 0; i + 3 <= number.length; i++) {
    if (d.includes(number.slice(i, i + 3))) return number.slice(i, i + 3);
  }
  return undefined;
}

test.describe("sitter on a phone, conversation open", () => {
  test.use({ viewport: PHONE });

  test("a client's number split over two and over three texts never reaches the sitter's screen", async ({ page }) => {
    // Everything the server sends this page, kept to be read afterwards.
    const received: string[] = [];
    page.on("response", async (r) => {
      const type = r.headers()["content-type"] || "";
      if (type.includes("json") || type.includes("html") || type.includes("event-stream")) {
        received.push(await r.text().catch(() => ""));
      }
    });
    await signIn(page, SITTER);
    await hydrated(page);
    await page.getByTestId("thread-item").filter({ hasText: "Ana" }).first().click();
    await expect(page.getByTestId("thread-client-name")).toHaveText("Ana");
    await page.waitForFunction(() => (window as any).__leashline_live === true);

    const texts = ["my new cell is 914 868", "2739 text me there", "or my work line 646", "220", "7311 thanks!"];
    const numbers = ["9148682739", "6462207311"];
    for (const t of texts) {
      await textIn(page, t);
      // Each arrives live in the open conversation, with the number hidden.
      const last = page.getByTestId("message-body").last();
      await expect(last).toContainText("███", { timeout: 5_000 });
    }
    await expect(page.getByTestId("message-body").filter({ hasText: "thanks!" })).toBeVisible();
    const shown = await page.getByTestId("message-body").allTextContents();
    for (const body of shown) {
      for (const n of numbers) expect(partOf(body, n), `"${body}" shows part of ${n}`).toBeUndefined();
    }
    // The texts as the client wrote them appear in no response at all...
    for (const piece of ["914 868", "2739 text", "line 646", "7311 thanks"]) {
      for (const r of received) expect(r.includes(piece), `a response carried "${piece}"`).toBe(false);
    }
    // ...and no message text or preview in any of them shows a piece.
    const texts_in = (v: unknown, out: string[]) => {
      if (Array.isArray(v)) v.forEach((x) => texts_in(x, out));
      else if (v && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) {
          if ((k === "body" || k === "preview") && typeof x === "string") out.push(x);
          else texts_in(x, out);
        }
      }
    };
    const bodies: string[] = [];
    for (const r of received) {
      try {
        texts_in(JSON.parse(r), bodies);
      } catch {
        // not JSON (the page, the event stream)
      }
    }
    expect(bodies.length).toBeGreaterThan(5);
    for (const b of bodies) {
      for (const n of numbers) expect(partOf(b, n), `"${b}" shows part of ${n}`).toBeUndefined();
    }
    await shot(page, "privacy-sitter-split-number");
  });
});
