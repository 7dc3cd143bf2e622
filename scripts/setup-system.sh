#!/usr/bin/env bash
# Install the Debian packages the pipeline and its tests need, only where missing.
#   fonts-noto-core   Noto Sans and Noto Sans Devanagari (Latin and Marathi text in PDFs)
#   poppler-utils     pdftotext / pdftoppm (tests read PDFs back; page images)
#   gettext           msgfmt --check (catalog checks)
#   chromium          headless browser for the accessibility audit (tests only)
#   default-jre-headless  Java for the Nu HTML Checker (tests only)
#   npm               installs the pinned axe-core and vnu-jar (tests only)
#   zbar-tools        zbarimg reads the QR code back from a printed page (tests only)
# Usage: setup-system.sh [build|test]
set -euo pipefail
purpose="${1:-build}"

need=()
fonts="$(fc-list 2>/dev/null || true)"
grep -q "NotoSansDevanagari-" <<<"$fonts" && grep -q "NotoSans-" <<<"$fonts" || need+=(fonts-noto-core)
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v msgfmt >/dev/null || need+=(gettext)
command -v fc-list >/dev/null || need+=(fontconfig)
if [ "$purpose" = test ]; then
  command -v chromium >/dev/null || need+=(chromium)
  command -v java >/dev/null || need+=(default-jre-headless)
  command -v npm >/dev/null || need+=(npm)
  command -v zbarimg >/dev/null || need+=(zbar-tools)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]}" >&2
  echo "what to do: run as root, or ask an administrator: apt-get install ${need[*]}" >&2
  exit 2
fi
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fc-cache -f >/dev/null 2>&1 || true
