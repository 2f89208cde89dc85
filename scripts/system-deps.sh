#!/bin/sh
# System libraries Standpunt uses, installed where this machine lets us (Debian/Ubuntu, as root):
# Pango draws the text (WeasyPrint needs it); HarfBuzz's subsetter makes font subsetting about
# four times faster than the fontTools fallback; with "test", also Chromium, the real browser the
# tests open the preview in. Without root or apt-get this only says so.
set -u
packages="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
if [ "${1:-}" = "test" ]; then
  packages="$packages chromium"
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  missing=""
  for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) \
      >/dev/null 2>&1 || echo "note: could not install$missing; Standpunt falls back to slower font subsetting" >&2
  fi
else
  echo "note: not root or no apt-get; make sure these are installed: $packages" >&2
fi
exit 0
