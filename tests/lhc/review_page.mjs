// Open review-site pages (fhir-export preview / export --html) in headless Chromium from
// file:// URLs, as a person would, and print one JSON line per page:
//   {page, marks, brokenMarks, cards, brokenBackLinks, forms: [{id, expected, rendered,
//    missing}], lformsStatus, consoleErrors, pageErrors, cspViolations, pwned, foreignScripts,
//    handlers, scriptUrls, error?}
//
//   node tests/lhc/review_page.mjs [--screenshot PNG] page.html ...
//
// For each Questionnaire, every "Yes" is clicked (so that every enableWhen follow-up shows),
// then each item of the Questionnaire must have its LHC-Forms element (lhc-item) with its
// text. `pwned` is what a hostile article's script would have set (window.__pwned).
// Needs .cache/lhc/node_modules/playwright-core and /usr/bin/chromium (LHC_CHROMIUM).
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = path.join(ROOT, '.cache', 'lhc');
const CHROMIUM = process.env.LHC_CHROMIUM || '/usr/bin/chromium';
const { chromium } = createRequire(path.join(CACHE, 'package.json'))('playwright-core');

function parseArgs(argv) {
  const pages = [];
  let screenshot = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--screenshot') screenshot = argv[++i];
    else pages.push(argv[i]);
  }
  if (!pages.length) {
    process.stderr.write('usage: node tests/lhc/review_page.mjs [--screenshot PNG] page.html ...\n');
    process.exit(2);
  }
  return { pages, screenshot };
}

const css = (value) => JSON.stringify(String(value));

async function check(browser, file, screenshot) {
  const result = { page: file, consoleErrors: [], pageErrors: [], cspViolations: [] };
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (msg) => { if (msg.type() === 'error') result.consoleErrors.push(msg.text()); });
  page.on('pageerror', (err) => result.pageErrors.push(String(err && err.message)));
  page.on('dialog', (dialog) => { result.pageErrors.push('dialog: ' + dialog.message()); dialog.dismiss(); });
  try {
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window.__csp = window.__csp || []).push(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    await page.goto(pathToFileURL(path.resolve(file)).href);
    const forms = await page.locator('.lhc-form').count();
    if (forms) {
      await page.waitForFunction(() => document.body.dataset.lforms, null, { timeout: 60000 });
    }
    result.lformsStatus = await page.evaluate(() => document.body.dataset.lforms || null);

    // every highlight links to an element that exists, and so does every back-link
    Object.assign(result, await page.evaluate(() => {
      const exists = (href) => href && href.startsWith('#')
        && document.getElementById(decodeURIComponent(href.slice(1))) !== null;
      const marks = Array.from(document.querySelectorAll('mark.fact[id]'));
      const brokenMarks = marks.filter((m) => {
        const links = Array.from(m.querySelectorAll('a[href]'))
          .filter((a) => a.closest('mark.fact') === m);
        const targets = (m.dataset.targets || '').split(' ').filter(Boolean);
        return !links.length || !links.every((a) => exists(a.getAttribute('href')))
          || !targets.every((t) => exists('#' + t) && (document.getElementById(t)
            .querySelector(`a.back[href="#${m.id}"]`) !== null));
      }).map((m) => m.id);
      const cards = Array.from(document.querySelectorAll('section.card'));
      const brokenBackLinks = Array.from(document.querySelectorAll('section.card a[href^="#"]'))
        .filter((a) => !exists(a.getAttribute('href'))).map((a) => a.getAttribute('href'));
      const scripts = Array.from(document.scripts);
      return {
        marks: marks.length,
        brokenMarks,
        cards: cards.length,
        brokenBackLinks,
        pwned: typeof window.__pwned === 'undefined' ? null : String(window.__pwned),
        foreignScripts: scripts.filter((s) => s.type !== 'application/json'
          && !/^(\.\.\/)?assets\//.test(s.getAttribute('src') || ''))
          .map((s) => s.outerHTML.slice(0, 200)),
        scriptUrls: scripts.map((s) => s.getAttribute('src')).filter(Boolean),
        handlers: Array.from(document.querySelectorAll('body *')).flatMap((e) => Array.from(e.attributes)
          .filter((a) => a.name.startsWith('on') || /^\s*javascript:/i.test(a.value))
          .map((a) => `${e.tagName} ${a.name}`)),
      };
    }));

    // each Questionnaire: click every "Yes", then every item has its lhc-item with its text
    result.forms = [];
    for (const block of await page.locator('script[type="application/json"][id^="questionnaire-"]').all()) {
      const questionnaire = JSON.parse(await block.textContent());
      const form = page.locator(`.lhc-form[data-questionnaire=${css(await block.getAttribute('id'))}]`);
      const items = [];
      const walk = (list) => { for (const item of list || []) { items.push(item); walk(item.item); } };
      walk(questionnaire.item);
      for (const item of items.filter((i) => i.type === 'boolean')) {
        const yes = form.locator(`label[id^=${css(item.linkId + '/')}][id$="|true"]`).first();
        if (await yes.count()) await yes.click();
      }
      const missing = [];
      for (const item of items) {
        const label = form.locator(`lhc-item[id^=${css('item-' + item.linkId + '/')}]`).first()
          .locator('.question').first();
        const ok = (await label.count()) > 0 && (await label.isVisible())
          && (await label.innerText()).trim() === String(item.text || '').trim();
        if (!ok) missing.push(item.linkId);
      }
      result.forms.push({
        id: questionnaire.id,
        expected: items.length,
        rendered: await form.locator('lhc-item').count(),
        missing,
      });
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    result.cspViolations = await page.evaluate(() => window.__csp || []);
  } catch (err) {
    result.error = String((err && err.message) || err).split('\n')[0];
  } finally {
    await page.close();
  }
  return result;
}

async function main() {
  const { pages, screenshot } = parseArgs(process.argv.slice(2));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  let failed = false;
  try {
    for (const [n, file] of pages.entries()) {
      const result = await check(browser, file, n === 0 ? screenshot : null);
      if (result.error) failed = true;
      process.stdout.write(JSON.stringify(result) + '\n');
    }
  } finally {
    await browser.close();
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`review_page.mjs: ${(err && err.stack) || err}\n`);
  process.exit(1);
});
