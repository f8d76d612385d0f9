import { expect, Page, test } from "@playwright/test";
import { hydrated, OWNER, shot, signIn } from "./helpers";

/** Picks a conversation in the routing page by the client's name. */
async function pickThread(page: Page, client: string) {
  const select = page.getByTestId("routing-thread");
  const value = await select.evaluate((el, name) => {
    const opt = Array.from((el as HTMLSelectElement).options).find((o) => o.text.startsWith(name));
    return opt ? opt.value : "";
  }, client);
  expect(value).not.toBe("");
  await select.selectOption(value);
  await expect(page.getByTestId("sim-sender")).toContainText(client);
}

test.describe("routing control", () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, OWNER);
    await page.goto("/routing");
    await hydrated(page);
    await expect(page.getByTestId("rule-row")).toHaveCount(4);
  });

  test("the simulator flips live across a window boundary without a request, and the server agrees", async ({ page }) => {
    await pickThread(page, "Ana Lopez");
    await expect(page.getByTestId("sim-target")).toContainText("To Maya");
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    const seen = new Set<string>();
    for (let minute = 0; minute < 1440; minute += 30) {
      await page.getByTestId("sim-time").fill(String(minute));
      seen.add((await page.getByTestId("sim-target").innerText()).trim());
    }
    expect([...seen]).toEqual(expect.arrayContaining(["To Maya", "To the owner inbox"]));
    expect(requests).toEqual([]);
    await shot(page, "routing-simulator");
    await page.getByTestId("check-on-server").click();
    await expect(page.getByTestId("server-check")).toContainText("The server agrees");
    // A stranger texting Maya's number never reaches Maya.
    await page.getByTestId("sim-sender").selectOption({ label: "Someone else (+1 (555) 010-9999)" });
    await expect(page.getByTestId("decision-reason")).not.toContainText("goes to Maya");
  });

  test("create, see and remove an override", async ({ page }) => {
    await pickThread(page, "Ana Lopez");
    await page.getByTestId("override-set").click();
    await expect(page.getByTestId("override-error")).toContainText("Say why");
    await page.getByTestId("override-duration").selectOption("1h");
    await page.getByTestId("override-reason").fill("Maya is off sick today");
    await expect(page.getByTestId("override-preview")).toContainText("owner inbox for the next 1 hour");
    await page.getByTestId("override-set").click();
    await expect(page.getByTestId("impact-list")).toContainText("owner inbox");
    await page.getByTestId("confirm-button").click();
    const row = page.getByTestId("override-row").filter({ hasText: "Maya is off sick today" });
    await expect(row).toContainText("Active");
    await expect(page.getByTestId("sim-target")).toContainText("To the owner inbox");
    await shot(page, "routing-override");
    // A second one is refused until the first is removed.
    await page.getByTestId("override-reason").fill("Again");
    await page.getByTestId("override-set").click();
    await page.getByTestId("confirm-button").click();
    await expect(page.getByTestId("confirm-dialog")).toContainText("Remove it first");
    await page.getByRole("button", { name: "Cancel" }).click();
    await row.getByTestId("override-remove").click();
    await page.getByTestId("confirm-button").click();
    await expect(row).toContainText("Removed");
    await expect(page.getByTestId("sim-target")).toContainText("To Maya");
  });

  test("a history entry replays to the identical decision", async ({ page }) => {
    await pickThread(page, "Ana Lopez");
    await page.getByTestId("history-rule").selectOption("window");
    const first = page.getByTestId("history-item").first();
    await expect(first).toContainText("Assignment window");
    await first.getByRole("button").click();
    await expect(page.getByTestId("replay-result")).toContainText("identical");
    await expect(page.getByTestId("history-detail").getByTestId("trace-step").first()).toBeVisible();
    await shot(page, "routing-history");
  });
});
