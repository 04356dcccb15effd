#!/usr/bin/env bash
# Set up NLM's LHC-Forms for tests/test_lhc_forms.py: Debian's chromium, the prebuilt LHC-Forms
# web component and playwright-core (no browser download), all under .cache/lhc/.
#
#   .cache/lhc/lforms/         dist/lforms/ of `npm pack lforms@40.1.3`: webcomponent/ (lhc-forms.js,
#                              styles.css, assets/lib/zone.min.js) and fhir/ (lformsFHIRAll.min.js,
#                              R4|R5/lformsFHIR.min.js), plus LICENSE.md
#   .cache/lhc/node_modules/   playwright-core (drives /usr/bin/chromium)
#
# Idempotent: exits early for each part already in place. Installs chromium with apt only
# when /usr/bin/chromium is missing and we are root.
set -euo pipefail

LFORMS_VERSION="40.1.3"
PLAYWRIGHT_VERSION="1.65.1"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.cache/lhc"
mkdir -p "$DEST"

if [[ ! -x /usr/bin/chromium ]]; then
    if [[ "$(id -u)" == "0" ]]; then
        echo "installing chromium with apt-get" >&2
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
    else
        echo "warning: /usr/bin/chromium missing and not root; skipping apt-get" >&2
    fi
fi

STAMP="$DEST/lforms/.lforms-$LFORMS_VERSION"
if [[ ! -f "$STAMP" ]]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "lforms@$LFORMS_VERSION" >/dev/null)
    tar -xzf "$tmp"/lforms-*.tgz -C "$tmp" package/dist/lforms/webcomponent \
        package/dist/lforms/fhir package/dist/lforms/LICENSE.md
    rm -rf "$DEST/lforms"
    mv "$tmp/package/dist/lforms" "$DEST/lforms"
    touch "$STAMP"
fi

PW_JSON="$DEST/node_modules/playwright-core/package.json"
PW_FOUND=""
if [[ -f "$PW_JSON" ]]; then
    PW_FOUND="$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' "$PW_JSON")"
fi
if [[ "$PW_FOUND" != "$PLAYWRIGHT_VERSION" ]]; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-audit --no-fund \
        --prefix "$DEST" "playwright-core@$PLAYWRIGHT_VERSION"
fi

echo "LHC-Forms ready in $DEST (lforms $LFORMS_VERSION, playwright-core $PLAYWRIGHT_VERSION)" >&2
