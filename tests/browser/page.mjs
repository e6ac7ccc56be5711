// Drives the page of `bouncedx serve` in Debian's headless Chromium with
// playwright-core: paste a bounce, press Diagnose, and check that the cause,
// the highlighted evidence and the steps appear. Usage:
//   node tests/browser/page.mjs http://127.0.0.1:PORT [screenshot.png]
// Exit code 0 when every check passes; the failing check otherwise.
import { createRequire } from "node:module";

// playwright-core from the folder the test installed it in (NODE_PATH);
// ES modules do not read NODE_PATH, so require it from there.
const require = createRequire((process.env.NODE_PATH || process.cwd()) + "/");
const { chromium } = require("playwright-core");

const [base, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
const fail = async (why) => {
  console.error("FAILED: " + why);
  await browser.close();
  process.exit(1);
};
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(base + "/");
  await page.fill("#input", "550 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org");
  await page.click("#go");
  await page.waitForSelector(".result", { timeout: 10000 });
  const cause = await page.textContent(".result .cause");
  if (!/blocklist/i.test(cause)) await fail("the cause is " + JSON.stringify(cause));
  const marks = await page.$$eval(".result mark", (ms) => ms.map((m) => m.textContent));
  if (!marks.some((m) => /blocked using|zen\.spamhaus\.org/i.test(m))) await fail("no highlighted evidence: " + JSON.stringify(marks));
  const steps = await page.$$eval(".result .fix li", (ls) => ls.length);
  if (steps < 1) await fail("no fix steps");
  const reason = await page.textContent(".result .reason");
  if (reason !== "blocked") await fail("reason " + reason);
  if (shot) await page.screenshot({ path: shot, fullPage: true });
  await page.click("#explain");
  await page.waitForSelector(".rule.fired", { timeout: 10000 });
  console.log("ok: cause, evidence, " + steps + " steps, explain view");
} catch (e) {
  await fail(String(e));
}
await browser.close();
