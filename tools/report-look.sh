#!/usr/bin/env bash
# Look at a published report as a reader would, in headless Chromium.
#
#   tools/report-look.sh pages reports/automata/index.html
#       prints the page to PDF (Chromium's default paper, details closed, no
#       header or footer) and prints its page count (pdfinfo, from
#       poppler-utils: apt-get install -y poppler-utils)
#   tools/report-look.sh shots reports/automata/index.html OUT_DIR
#       screenshots of each section, 1000 x 1400 px each,
#       OUT_DIR/<section id>-1.png, -2.png, ...
#
# Chromium: $SEQLAB_CHROMIUM, else chromium on PATH.
set -euo pipefail
mode=${1:?usage: report-look.sh pages|shots PAGE [OUT_DIR]}
page=$(realpath "${2:?missing the page}")
chromium=${SEQLAB_CHROMIUM:-chromium}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {
    timeout 180 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$tmp/profile" "$@" 2>"$tmp/log" >/dev/null ||
        { cat "$tmp/log" >&2; exit 1; }
}
case "$mode" in
pages)
    run --no-pdf-header-footer --print-to-pdf="$tmp/page.pdf" "file://$page"
    pages=$(pdfinfo "$tmp/page.pdf" | awk '/^Pages:/ { print $2 }')
    echo "$page: $pages pages"
    ;;
shots)
    out=$(realpath -m "${3:?missing OUT_DIR}")
    mkdir -p "$out"
    for id in $(grep -o '<section id="[^"]*"' "$page" | sed 's/.*id="//; s/"$//'); do
        # the page with every other section hidden, beside the original so
        # relative links still resolve; cut into screens of 1000 x 1400
        # (<id>-1.png, <id>-2.png, ...; a blank screen ends the section)
        for k in 0 1 2 3 4 5 6 7; do
            view="$(dirname "$page")/.look-$id.html"
            sed "s#</style>#section:not(\#$id), nav.toc, header { display: none !important; } main { margin-top: -$((k * 1400))px; }</style>#" \
                "$page" >"$view"
            shot="$out/$id-$((k + 1)).png"
            run --hide-scrollbars --window-size=1000,1400 --screenshot="$shot" "file://$view"
            rm -f "$view"
            # a screen with nothing on it compresses to a few kB
            if [ "$(stat -c %s "$shot")" -lt 12000 ]; then rm -f "$shot"; break; fi
            echo "$shot"
        done
    done
    ;;
*)
    echo "unknown mode $mode (pages or shots)" >&2
    exit 2
    ;;
esac
