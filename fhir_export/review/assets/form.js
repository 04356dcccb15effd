// fhir-export review site: render each Questionnaire of the page with LHC-Forms (local files).
// lhc-forms.js defines window.LForms once its web component has started; the FHIR library
// (path in #lforms-fhir's data-src) extends it, so it is loaded after. The Questionnaire is
// read from its JSON data block, never from a URL.
'use strict';
(function () {
  const forms = Array.from(document.querySelectorAll('.lhc-form[data-questionnaire]'));
  const status = (form, state, text) => {
    const note = form.parentElement.querySelector('.lforms-status');
    if (note) {
      note.dataset.status = state;
      note.textContent = text;
    }
  };
  const fail = (error) => {
    for (const form of forms) {
      status(form, 'failed', 'LHC-Forms could not render this form (' + String(error && error.message || error) + '): see the items below.');
    }
  };
  const loadFhir = () => new Promise((resolve, reject) => {
    const holder = document.getElementById('lforms-fhir');
    const script = document.createElement('script');
    script.src = holder.dataset.src;
    script.onload = resolve;
    script.onerror = () => reject(new Error('cannot load ' + holder.dataset.src));
    document.body.appendChild(script);
  });
  const ready = () => new Promise((resolve, reject) => {
    let waited = 0;
    const tick = () => {
      if (window.LForms && window.LForms.Util && window.LForms.Util.addFormToPage) resolve();
      else if ((waited += 50) > 30000) reject(new Error('LHC-Forms did not start'));
      else setTimeout(tick, 50);
    };
    tick();
  });
  if (!forms.length) return;
  ready().then(loadFhir).then(async () => {
    for (const form of forms) {
      const questionnaire = JSON.parse(document.getElementById(form.dataset.questionnaire).textContent);
      await window.LForms.Util.addFormToPage(questionnaire, form, { fhirVersion: form.dataset.fhirVersion });
      status(form, 'rendered', 'Rendered with LHC-Forms from files in this site (no network).');
    }
    document.body.dataset.lforms = 'rendered';
  }).catch((error) => {
    document.body.dataset.lforms = 'failed';
    fail(Array.isArray(error) ? error[0] : error);
  });
})();
