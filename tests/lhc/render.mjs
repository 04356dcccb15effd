// Render every Questionnaire of the given FHIR Bundles in NLM's LHC-Forms (headless Chromium)
// and print one JSON line per Questionnaire:
//   {file, id, fhirVersion, itemsShown, itemsExpected, missing, followUpShown,
//    followUpHiddenBefore, answeredLinkId, followUpLinkId, questionnaireResponse, error?}
//
//   node tests/lhc/render.mjs [--screenshot PNG] [--fhir-version R4|R5] bundle.json ...
//
// --fhir-version applies to the bundles after it (default R4). --screenshot saves the first
// rendered form (after its answers) as a PNG. Needs `bash scripts/setup_lhc_forms.sh`:
// .cache/lhc/lforms/ (the lforms web component and FHIR libraries), .cache/lhc/node_modules/
// playwright-core and /usr/bin/chromium (LHC_CHROMIUM overrides the path).
// Exit status: 0 when every Questionnaire rendered, 1 when one failed, 2 on bad usage.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = path.join(ROOT, '.cache', 'lhc');
const LFORMS = path.join(CACHE, 'lforms');
const CHROMIUM = process.env.LHC_CHROMIUM || '/usr/bin/chromium';
const FOLLOW_UP_TEXT = 'Details typed by the LHC-Forms test';
const CONCURRENCY = Number(process.env.LHC_CONCURRENCY) || 2;

const { chromium } = createRequire(path.join(CACHE, 'package.json'))('playwright-core');

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>LHC-Forms test</title>
<link rel="stylesheet" href="/webcomponent/styles.css"></head>
<body><div id="form"></div>
<script src="/webcomponent/assets/lib/zone.min.js"></script>
<script src="/webcomponent/lhc-forms.js"></script>
</body></html>`;

const TYPES = {
  '.js': 'text/javascript; charset=utf-8', // the FHIRPath parser breaks when not read as UTF-8
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.png': 'image/png',
  '.json': 'application/json',
};

function parseArgs(argv) {
  const jobs = [];
  let version = 'R4';
  let screenshot = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--fhir-version') {
      version = String(argv[++i] || '').toUpperCase();
      if (version !== 'R4' && version !== 'R5') usage(`bad --fhir-version ${version}`);
    } else if (arg === '--screenshot') {
      screenshot = argv[++i];
      if (!screenshot) usage('--screenshot needs a path');
    } else if (arg.startsWith('--')) {
      usage(`unknown option ${arg}`);
    } else {
      jobs.push({ file: arg, version });
    }
  }
  if (!jobs.length) usage('no bundle given');
  return { jobs, screenshot };
}

function usage(message) {
  process.stderr.write(`render.mjs: ${message}\n` +
    'usage: node tests/lhc/render.mjs [--screenshot PNG] [--fhir-version R4|R5] bundle.json ...\n');
  process.exit(2);
}

function serve() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': TYPES['.html'] });
      res.end(PAGE);
      return;
    }
    const file = path.resolve(LFORMS, '.' + decodeURIComponent(url.pathname));
    if (!file.startsWith(LFORMS + path.sep)) {
      res.writeHead(403);
      res.end();
      return;
    }
    fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
      });
      res.end(data);
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function questionnairesOf(file) {
  const resource = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (resource.resourceType === 'Questionnaire') return [resource];
  return (resource.entry || [])
    .map((entry) => entry.resource)
    .filter((r) => r && r.resourceType === 'Questionnaire');
}

// Items visible before any answer: every item without enableWhen whose ancestors have none.
function plan(questionnaire) {
  const visible = [];
  const booleans = [];
  const followUps = new Map(); // boolean linkId -> [text linkIds enabled by answerBoolean true]
  const walk = (items, shown) => {
    for (const item of items || []) {
      const gated = Array.isArray(item.enableWhen) && item.enableWhen.length > 0;
      const itemShown = shown && !gated;
      if (itemShown && item.text) visible.push({ linkId: item.linkId, text: item.text });
      if (itemShown && item.type === 'boolean') booleans.push(item.linkId);
      for (const when of gated ? item.enableWhen : []) {
        if (when.answerBoolean === true && (when.operator === '=' || !when.operator)) {
          if (!followUps.has(when.question)) followUps.set(when.question, []);
          followUps.get(when.question).push(item.linkId);
        }
      }
      walk(item.item, itemShown);
    }
  };
  walk(questionnaire.item, true);
  const answered = booleans.find((linkId) => followUps.has(linkId)) || booleans[0] || null;
  const followUp = answered && followUps.has(answered) ? followUps.get(answered)[0] : null;
  return { visible, booleans, answered, followUp };
}

const css = (value) => JSON.stringify(String(value)); // a quoted CSS attribute value

// One page per worker, reused: lhc-forms.js and the FHIR library for every release load once.
async function openPage(browser, origin) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.errors = [];
  page.on('pageerror', (err) => page.errors.push(String(err && err.message)));
  await page.goto(origin + '/');
  await page.waitForFunction(() => window.LForms && window.LForms.Util
    && window.LForms.Util.addFormToPage, null, { timeout: 30000 });
  // after lhc-forms.js has defined LForms, which the FHIR library extends
  await page.addScriptTag({ url: '/fhir/lformsFHIRAll.min.js' });
  return page;
}

async function render(page, job, questionnaire, screenshot) {
  const result = {
    file: job.file,
    id: questionnaire.id,
    fhirVersion: job.version,
    itemsShown: 0,
    itemsExpected: 0,
    missing: [],
    followUpShown: false,
    followUpHiddenBefore: false,
    answeredLinkId: null,
    followUpLinkId: null,
    questionnaireResponse: null,
  };
  const pageErrors = page.errors;
  pageErrors.length = 0;
  try {
    await page.evaluate(() => { // a fresh container: the previous form is destroyed
      const fresh = document.createElement('div');
      fresh.id = 'form';
      document.getElementById('form').replaceWith(fresh);
    });
    await page.evaluate(async ([q, version]) => {
      try {
        await window.LForms.Util.addFormToPage(q, document.getElementById('form'),
          { fhirVersion: version });
      } catch (err) {
        const list = Array.isArray(err) ? err : [err];
        throw new Error('addFormToPage: ' + list.map((e) => (e && e.message) || String(e))
          .join('; '));
      }
    }, [questionnaire, job.version]);
    await page.locator('#form .lhc-form-body').first().waitFor({ timeout: 30000 });

    const { visible, answered, followUp } = plan(questionnaire);
    result.itemsExpected = visible.length;
    result.answeredLinkId = answered;
    result.followUpLinkId = followUp;
    for (const item of visible) {
      const label = page.locator(`lhc-item[id^=${css('item-' + item.linkId + '/')}]`)
        .first().locator('.question').first();
      const ok = (await label.count()) > 0 && (await label.isVisible())
        && (await label.innerText()).trim() === item.text.trim();
      if (ok) result.itemsShown += 1;
      else result.missing.push(item.linkId);
    }

    if (answered) {
      const followUpItem = followUp
        ? page.locator(`lhc-item[id^=${css('item-' + followUp + '/')}]`).first() : null;
      if (followUpItem) result.followUpHiddenBefore = (await followUpItem.count()) === 0
        || !(await followUpItem.isVisible());
      const yes = page.locator(`label[id^=${css(answered + '/')}][id$="|true"]`).first();
      await yes.click();
      if (followUpItem) {
        try {
          await followUpItem.waitFor({ state: 'visible', timeout: 5000 });
          const text = followUpItem.locator('input, textarea').first();
          await text.fill(FOLLOW_UP_TEXT);
          await text.press('Tab');
          result.followUpShown = true;
        } catch {
          result.followUpShown = false;
        }
      }
    }

    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    result.questionnaireResponse = await page.evaluate((version) =>
      window.LForms.Util.getFormFHIRData('QuestionnaireResponse', version,
        document.getElementById('form')), job.version);
    if (pageErrors.length) result.pageErrors = pageErrors;
  } catch (err) {
    result.error = String((err && err.message) || err).split('\n')[0];
    if (pageErrors.length) result.pageErrors = pageErrors;
  }
  return result;
}

async function main() {
  const { jobs, screenshot } = parseArgs(process.argv.slice(2));
  const tasks = [];
  for (const job of jobs) {
    for (const q of questionnairesOf(job.file)) tasks.push({ job, q });
  }
  const server = await serve();
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  let failed = false;
  try {
    let next = 0;
    const worker = async () => {
      let page = null;
      while (next < tasks.length) {
        const index = next++;
        const { job, q } = tasks[index];
        if (!page) page = await openPage(browser, origin);
        const result = await render(page, job, q, index === 0 ? screenshot : null);
        if (result.error) {
          failed = true;
          await page.close(); // start the next Questionnaire on a clean page
          page = null;
        }
        process.stdout.write(JSON.stringify(result) + '\n');
      }
      if (page) await page.close();
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, tasks.length) }, worker));
  } finally {
    await browser.close();
    server.close();
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`render.mjs: ${(err && err.stack) || err}\n`);
  process.exit(1);
});
